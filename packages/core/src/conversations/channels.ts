/**
 * Creating conversations (channels, DMs) and changing a channel itself: name, topic, archived.
 * Every change appends to the conversation's log (tx.ts) under the conversation's row lock.
 */
import { type ConversationKind, isUniqueViolation, type TDb } from "@parley/db";
import { EventKind, UserEventKind } from "@parley/protocol";
import {
  channelManagerAudit,
  loadAccess,
  requireChannelManager,
  requireMember,
  requireNotArchived,
  requireRead,
  type TConversationAccess,
} from "../access.ts";
import { requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { refuseGuests, requireGuestsShareChannels } from "../guests.ts";
import {
  MAX_GROUP_DM_OTHERS,
  type TCreateChannel,
  ZConversationRef,
  ZCreateChannel,
  ZOpenDm,
  ZRenameChannel,
  ZSetDefaultChannel,
  ZSetTopic,
} from "../schemas.ts";
import { appendConversationEvent, appendUserEvents, inWriteTx, type TWriter } from "../tx.ts";
import { isGeneralChannel } from "./defaults.ts";
import { addMembersLocked, requireActiveUsers } from "./members.ts";
import { getConversationDto, getManagedChannelDto, type TConversationDto } from "./view.ts";

/** Creates a channel; the creator becomes its owner. CONFLICT when the name is taken; not for guests. */
export async function createChannel(db: TDb, actor: TActor, input: unknown): Promise<TConversationDto> {
  const data = parseInput(ZCreateChannel, input);
  refuseGuests(actor, errorTemplate("Guests cannot create channels"));
  try {
    return await inWriteTx(db, async (w) => {
      const id = await createChannelIn(w, actor, data);
      return getConversationDto(w.tx, actor, id);
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ParleyError("CONFLICT", "A channel named #{name} already exists", {
        params: { name: data.name },
      });
    throw err;
  }
}

/** Creates a channel inside a write (the creator, then `memberIds`, join it); returns its id. */
export async function createChannelIn(
  w: TWriter,
  actor: TActor,
  data: TCreateChannel & { isDefault?: boolean },
): Promise<string> {
  const others = (data.memberIds ?? []).filter((id) => id !== actor.userId);
  const members = await requireActiveUsers(w.tx, [actor.userId, ...others]);
  const conversation = await w.tx.conversation.create({
    data: {
      kind: data.isPrivate ? "private_channel" : "public_channel",
      name: data.name,
      topic: data.topic ?? "",
      createdById: actor.userId,
      isDefault: data.isDefault ?? false,
    },
    select: { id: true, kind: true },
  });
  // Creator first, so "X created … / X joined" reads naturally in the log.
  const ordered = new Map([[actor.userId, members.get(actor.userId)!]]);
  for (const [id, name] of members) ordered.set(id, name);
  await addMembersLocked(w, actor, conversation, ordered, new Map([[actor.userId, "owner"]]));
  return conversation.id;
}

/**
 * Whether new members join this channel at sign-up (admins only; public channels only). #general
 * always stays a default channel.
 */
export async function setDefaultChannel(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TConversationDto> {
  requireAdmin(actor);
  const { conversationId, isDefault } = parseInput(ZSetDefaultChannel, input);
  return inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireRead(access);
    if (access.kind !== "public_channel") {
      throw new ParleyError("FORBIDDEN", "Only public channels can be default channels");
    }
    if (!isDefault && (await isGeneralChannel(w.tx, conversationId))) {
      throw new ParleyError("FORBIDDEN", "#general is always a default channel");
    }
    if (isDefault) requireNotArchived(access);
    const { isDefault: was } = await w.tx.conversation.findUniqueOrThrow({
      where: { id: conversationId },
      select: { isDefault: true },
    });
    if (was !== isDefault) {
      await w.tx.conversation.update({ where: { id: conversationId }, data: { isDefault } });
      await recordAudit(w.tx, {
        action: "channel.default_changed",
        actorId: actor.userId,
        target: { type: "channel", id: conversationId },
        origin,
        details: { isDefault },
      });
    }
    return getConversationDto(w.tx, actor, conversationId);
  });
}

/**
 * Renames a channel (channel owner or workspace admin). CONFLICT when the name is taken. Audit-logged
 * (channel.renamed, the old and new name) in the same transaction when the name changes, as
 * archiving is: by the owner or by an admin's power (`asWorkspaceAdmin`).
 */
export async function renameChannel(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TConversationDto> {
  const { conversationId, name } = parseInput(ZRenameChannel, input);
  try {
    return await inWriteTx(db, async (w) => {
      const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
      requireChannelManager(actor, access);
      requireNotArchived(access);
      if (access.name !== name) {
        await w.tx.conversation.update({ where: { id: conversationId }, data: { name } });
        await appendConversationEvent(w, conversationId, EventKind.ConversationUpdated, actor.userId, {
          name,
        });
        // The target's label is read after the update (#new); the old name is only in the details.
        await recordAudit(w.tx, {
          action: "channel.renamed",
          actorId: actor.userId,
          target: { type: "channel", id: conversationId },
          origin,
          details: { ...channelManagerAudit(actor, access), before: access.name, after: name },
        });
      }
      return getManagedChannelDto(w.tx, actor, access);
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ParleyError("CONFLICT", "A channel named #{name} already exists", {
        params: { name },
      });
    throw err;
  }
}

/** Sets the topic; any member may. */
export async function setTopic(db: TDb, actor: TActor, input: unknown): Promise<TConversationDto> {
  const { conversationId, topic } = parseInput(ZSetTopic, input);
  return inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireMember(access);
    requireNotArchived(access);
    await w.tx.conversation.update({ where: { id: conversationId }, data: { topic } });
    await appendConversationEvent(w, conversationId, EventKind.ConversationUpdated, actor.userId, {
      topic,
    });
    return getConversationDto(w.tx, actor, conversationId);
  });
}

/**
 * Archives (`archived`) or unarchives a channel whose lock the caller holds and whose manager it
 * checked: the event and the row, audit-logged (channel.archived / unarchived) in the same
 * transaction. Changes nothing when it already is so. #general cannot be archived.
 */
export async function setArchivedLocked(
  w: TWriter,
  actor: TActor,
  access: TConversationAccess,
  archived: boolean,
  origin?: TAuditOrigin,
): Promise<void> {
  const conversationId = access.id;
  if (archived && (await isGeneralChannel(w.tx, conversationId))) {
    throw new ParleyError("FORBIDDEN", "#general cannot be archived: it is where everyone is");
  }
  if (archived === (access.archivedAt !== null)) return;
  if (archived) {
    // The event goes in first: once archivedAt is set the log takes no more appends.
    await appendConversationEvent(w, conversationId, EventKind.ConversationUpdated, actor.userId, {
      archived,
    });
    await w.tx.conversation.update({ where: { id: conversationId }, data: { archivedAt: new Date() } });
  } else {
    await w.tx.conversation.update({ where: { id: conversationId }, data: { archivedAt: null } });
    await appendConversationEvent(w, conversationId, EventKind.ConversationUpdated, actor.userId, {
      archived,
    });
  }
  await recordAudit(w.tx, {
    action: archived ? "channel.archived" : "channel.unarchived",
    actorId: actor.userId,
    target: { type: "channel", id: conversationId },
    origin,
    details: channelManagerAudit(actor, access),
  });
}

/**
 * Archives a channel (owner or admin): readable, but no new messages or changes. Idempotent;
 * audit-logged (channel.archived) in the same transaction when it changes anything.
 */
export async function archiveConversation(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TConversationDto> {
  const { conversationId } = parseInput(ZConversationRef, input);
  return inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireChannelManager(actor, access);
    await setArchivedLocked(w, actor, access, true, origin);
    return getManagedChannelDto(w.tx, actor, access);
  });
}

/** Unarchives a channel (owner or admin). Idempotent; audit-logged like archiving. */
export async function unarchiveConversation(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TConversationDto> {
  const { conversationId } = parseInput(ZConversationRef, input);
  return inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireChannelManager(actor, access);
    await setArchivedLocked(w, actor, access, false, origin);
    return getManagedChannelDto(w.tx, actor, access);
  });
}
/**
 * Opens (or returns) the DM with one person, or the group DM with 2–8 people; a DM with yourself
 * is allowed; a guest in it must share a channel with each of the others. Idempotent: the sorted member ids form `dmKey`, unique in the table, so concurrent
 * calls for the same set converge on one conversation (the loser of the insert race reads the winner's).
 */
export async function openDm(db: TDb, actor: TActor, input: unknown): Promise<TConversationDto> {
  const { userIds } = parseInput(ZOpenDm, input);
  const memberIds = [...new Set([actor.userId, ...userIds])].sort();
  const others = memberIds.length - 1;
  if (others > MAX_GROUP_DM_OTHERS) {
    throw new ParleyError("BAD_REQUEST", "A group DM has at most {count} other people", {
      params: { count: MAX_GROUP_DM_OTHERS },
    });
  }
  const dmKey = memberIds.join(",");
  const existing = await db.conversation.findUnique({ where: { dmKey }, select: { id: true } });
  if (existing) return getConversationDto(db, actor, existing.id);
  const kind: ConversationKind = others <= 1 ? "dm" : "group_dm";
  try {
    return await inWriteTx(db, async (w) => {
      await requireActiveUsers(w.tx, memberIds);
      await requireGuestsShareChannels(w.tx, memberIds);
      const conversation = await w.tx.conversation.create({
        data: { kind, dmKey, createdById: actor.userId },
        select: { id: true },
      });
      await w.tx.membership.createMany({
        data: memberIds.map((userId) => ({ conversationId: conversation.id, userId })),
      });
      await appendUserEvents(w, memberIds, UserEventKind.DmOpened, () => ({
        conversationId: conversation.id,
        kind,
        userIds: memberIds,
      }));
      return getConversationDto(w.tx, actor, conversation.id);
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const winner = await db.conversation.findUnique({ where: { dmKey }, select: { id: true } });
    if (!winner) throw err;
    return getConversationDto(db, actor, winner.id);
  }
}
