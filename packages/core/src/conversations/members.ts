/**
 * Membership: joining, adding, leaving, removing, and a member's own mute setting. Every change
 * appends to the conversation's log (tx.ts) under the conversation's row lock and to the affected
 * users' own logs so their other devices learn about it. Order of locks: conversation row, then
 * user rows by id.
 */
import type { ConversationKind, MemberRole, TDb } from "@parley/db";
import { EventKind, UserEventKind } from "@parley/protocol";
import {
  channelManagerAudit,
  isChannelKind,
  loadAccess,
  requireChannelManager,
  requireMember,
  requireNotArchived,
  requireRead,
  type TConversationAccess,
} from "../access.ts";
import type { TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { refuseGuests } from "../guests.ts";
import { ZAddMembers, ZConversationRef, ZRemoveMember, ZSetMuted } from "../schemas.ts";
import {
  appendConversationEvent,
  appendUserEvent,
  appendUserEvents,
  inWriteTx,
  type TTx,
  type TWriter,
} from "../tx.ts";
import { isGeneralChannel } from "./defaults.ts";
import { getConversationDto, type TConversationDto } from "./view.ts";

/** Loads users by id and fails with BAD_REQUEST unless all exist and are active. */
export async function requireActiveUsers(tx: TTx, userIds: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(userIds)];
  if (unique.length === 0) return new Map();
  const users = await tx.user.findMany({
    where: { id: { in: unique }, deactivatedAt: null },
    select: { id: true, name: true },
  });
  if (users.length !== unique.length) throw new ParleyError("BAD_REQUEST", "Unknown or deactivated user");
  return new Map(users.map((u) => [u.id, u.name]));
}
/** Adds members under the (already held) conversation lock: rows, member.joined events, user events. */
export async function addMembersLocked(
  w: TWriter,
  actor: TActor,
  conversation: { id: string; kind: ConversationKind },
  members: ReadonlyMap<string, string>,
  roles: ReadonlyMap<string, MemberRole> = new Map(),
): Promise<void> {
  for (const [userId, userName] of members) {
    const event = await appendConversationEvent(w, conversation.id, EventKind.MemberJoined, actor.userId, {
      userId,
      userName,
      ...(userId === actor.userId ? {} : { addedBy: actor.userId }),
    });
    // A new member starts with everything so far read, like Slack.
    await w.tx.membership.create({
      data: {
        conversationId: conversation.id,
        userId,
        role: roles.get(userId) ?? "member",
        readSeq: event.seq,
      },
    });
  }
  await appendUserEvents(w, [...members.keys()], UserEventKind.ConversationAdded, () => ({
    conversationId: conversation.id,
    kind: conversation.kind,
    addedBy: actor.userId,
  }));
}
/**
 * Makes a new member join #general and every default channel (public, not archived), in id order
 * (the order every writer locks conversations in), inside the sign-up's transaction.
 */
export async function joinDefaultChannels(w: TWriter, user: { id: string; name: string }): Promise<void> {
  const channels = await w.tx.conversation.findMany({
    where: {
      kind: "public_channel",
      archivedAt: null,
      OR: [{ isDefault: true }, { generalOf: { isNot: null } }],
    },
    select: { id: true, kind: true },
    orderBy: { id: "asc" },
  });
  const actor: TActor = { userId: user.id, role: "member" };
  for (const channel of channels) {
    await addMembersLocked(w, actor, channel, new Map([[user.id, user.name]]));
  }
}

/**
 * Joins a public channel (idempotent). Private channels need an invitation: FORBIDDEN for their
 * members, NOT_FOUND (like an unknown id) for anyone who cannot read them; DMs likewise.
 */
export async function joinChannel(db: TDb, actor: TActor, input: unknown): Promise<TConversationDto> {
  const { conversationId } = parseInput(ZConversationRef, input);
  return inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireRead(access);
    if (access.kind !== "public_channel") {
      throw new ParleyError("FORBIDDEN", "Only public channels can be joined; ask a member to add you");
    }
    if (access.memberRole === null) {
      requireNotArchived(access);
      const members = await requireActiveUsers(w.tx, [actor.userId]);
      await addMembersLocked(w, actor, access, members);
    }
    return getConversationDto(w.tx, actor, conversationId);
  });
}

/** Adds people to a channel. Any member but a guest may add (public or private); DMs have fixed members. */
export async function addMembers(
  db: TDb,
  actor: TActor,
  input: unknown,
): Promise<{ added: string[]; conversation: TConversationDto }> {
  const { conversationId, userIds } = parseInput(ZAddMembers, input);
  return inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireRead(access);
    if (!isChannelKind(access.kind)) {
      throw new ParleyError("FORBIDDEN", "DM members are fixed; open a new group DM instead");
    }
    requireMember(access);
    refuseGuests(actor, errorTemplate("Guests cannot add people to channels"));
    requireNotArchived(access);
    const existing = await w.tx.membership.findMany({
      where: { conversationId, userId: { in: userIds } },
      select: { userId: true },
    });
    const already = new Set(existing.map((m) => m.userId));
    const members = await requireActiveUsers(
      w.tx,
      userIds.filter((id) => !already.has(id)),
    );
    await addMembersLocked(w, actor, access, members);
    return {
      added: [...members.keys()],
      conversation: await getConversationDto(w.tx, actor, conversationId),
    };
  });
}

async function removeMemberLocked(w: TWriter, actor: TActor, access: TConversationAccess, userId: string) {
  await appendConversationEvent(w, access.id, EventKind.MemberLeft, actor.userId, {
    userId,
    ...(userId === actor.userId ? {} : { removedBy: actor.userId }),
  });
  await w.tx.membership.delete({ where: { conversationId_userId: { conversationId: access.id, userId } } });
  await appendUserEvent(w, userId, UserEventKind.ConversationRemoved, {
    conversationId: access.id,
    ...(userId === actor.userId ? {} : { removedBy: actor.userId }),
  });
}

/** Leaves a channel. DMs cannot be left (their member set is their identity). */
export async function leaveConversation(db: TDb, actor: TActor, input: unknown): Promise<void> {
  const { conversationId } = parseInput(ZConversationRef, input);
  await inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireRead(access);
    if (!isChannelKind(access.kind)) throw new ParleyError("FORBIDDEN", "DMs cannot be left");
    if (access.memberRole === null)
      throw new ParleyError("NOT_FOUND", "You are not a member of this channel");
    requireNotArchived(access);
    if (await isGeneralChannel(w.tx, conversationId)) {
      throw new ParleyError("FORBIDDEN", "Everyone is in #general: it cannot be left");
    }
    await removeMemberLocked(w, actor, access, actor.userId);
  });
}

/**
 * Removes someone from a channel: the channel owner or a workspace admin, or yourself. Removing
 * someone else is audit-logged (channel.member_removed, who was removed) in the same transaction,
 * as archiving is: by the owner or by an admin's power (`asWorkspaceAdmin`). Removing yourself is
 * leaving, your own action: not recorded.
 */
export async function removeMember(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<void> {
  const { conversationId, userId } = parseInput(ZRemoveMember, input);
  if (userId === actor.userId) return leaveConversation(db, actor, { conversationId });
  await inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireChannelManager(actor, access);
    requireNotArchived(access);
    if (await isGeneralChannel(w.tx, conversationId)) {
      throw new ParleyError("FORBIDDEN", "Everyone is in #general: nobody can be removed from it");
    }
    const target = await w.tx.membership.findUnique({
      where: { conversationId_userId: { conversationId, userId } },
      select: { userId: true },
    });
    if (!target) throw new ParleyError("NOT_FOUND", "That person is not a member of this channel");
    await removeMemberLocked(w, actor, access, userId);
    await recordAudit(w.tx, {
      action: "channel.member_removed",
      actorId: actor.userId,
      target: { type: "channel", id: conversationId },
      origin,
      details: { ...channelManagerAudit(actor, access), userId },
    });
  });
}
/**
 * Mutes or unmutes a conversation for the actor (members only; also in archived conversations,
 * since it changes nothing others see). When it changed, appends the user event
 * `membership.updated` {conversationId, muted} so the actor's other devices refresh their list.
 */
export async function setMuted(db: TDb, actor: TActor, input: unknown): Promise<TConversationDto> {
  const { conversationId, muted } = parseInput(ZSetMuted, input);
  return inWriteTx(db, async (w) => {
    const changed = await w.tx.membership.updateMany({
      where: { conversationId, userId: actor.userId, muted: !muted },
      data: { muted },
    });
    if (changed.count > 0) {
      await appendUserEvent(w, actor.userId, UserEventKind.MembershipUpdated, { conversationId, muted });
    } else {
      requireMember(await loadAccess(w.tx, actor, conversationId));
    }
    return getConversationDto(w.tx, actor, conversationId);
  });
}
