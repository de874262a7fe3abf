/**
 * Channels, DMs and membership. Every change appends to the conversation's log (tx.ts) under the
 * conversation's row lock; membership changes also append to the affected users' own logs so
 * their other devices learn about it. Order of locks: conversation row, then user rows by id.
 */
import { type ConversationKind, type Db, isUniqueViolation, type MemberRole } from "@parley/db";
import { EventKind, UserEventKind } from "@parley/protocol";
import {
  type ConversationAccess,
  isChannelKind,
  loadAccess,
  requireChannelManager,
  requireMember,
  requireNotArchived,
  requireRead,
} from "./access.ts";
import type { Actor } from "./actor.ts";
import { ParleyError, parseInput } from "./errors.ts";
import {
  MAX_GROUP_DM_OTHERS,
  ZAddMembers,
  ZConversationRef,
  ZCreateChannel,
  ZMarkRead,
  ZOpenDm,
  ZRemoveMember,
  ZRenameChannel,
  ZSetMuted,
  ZSetTopic,
} from "./schemas.ts";
import {
  appendConversationEvent,
  appendUserEvent,
  appendUserEvents,
  inWriteTx,
  type Tx,
  type Writer,
} from "./tx.ts";

/** A conversation as one user sees it in their sidebar. */
export type ConversationDto = {
  id: string;
  kind: ConversationKind;
  /** Channel name, or for DMs the other members' names ("Ada, Grace"; your own name for a self-DM). */
  name: string;
  topic: string;
  archivedAt: Date | null;
  lastSeq: number;
  readSeq: number;
  /** Unread messages of others (seq > readSeq, not deleted) that show in the main list (thread-only replies excluded). */
  unreadCount: number;
  /**
   * Unread messages of others that mention the reader or everyone, thread replies included; for
   * DMs and group DMs every unread message counts, so it equals unreadCount.
   */
  mentionCount: number;
  isMember: boolean;
  memberRole: MemberRole | null;
  muted: boolean;
  /** DMs only: the other members (empty for channels and a self-DM). */
  dmMembers: { id: string; name: string }[];
  createdAt: Date;
};

type ConversationRow = {
  id: string;
  kind: ConversationKind;
  name: string | null;
  topic: string;
  archivedAt: Date | null;
  lastSeq: number;
  createdAt: Date;
  readSeq: number | null;
  memberRole: MemberRole | null;
  muted: boolean | null;
  unreadCount: number | null;
  mentionCount: number | null;
  dmMembers: unknown;
  selfName: string;
};

/**
 * One query for the actor's conversations (or one conversation): unread and mention counts are
 * computed per row in SQL (one lateral scan of seq > readSeq over the (conversationId, seq)
 * index, two filtered counts), never N+1 round trips.
 */
async function queryConversations(
  db: Tx,
  userId: string,
  only?: { conversationId: string },
): Promise<ConversationDto[]> {
  const conversationId = only?.conversationId ?? null;
  const rows = await db.$queryRaw<ConversationRow[]>`
    SELECT c.id, c.kind::text AS kind, c.name, c.topic, c."archivedAt", c."lastSeq", c."createdAt",
      m."readSeq", m.role::text AS "memberRole", m.muted,
      unread."unreadCount",
      CASE WHEN c.kind IN ('dm', 'group_dm') THEN unread."unreadCount" ELSE unread."mentionCount" END
        AS "mentionCount",
      CASE WHEN c.kind IN ('dm', 'group_dm') THEN (
        SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name) ORDER BY u.name, u.id), '[]'::json)
        FROM "Membership" o JOIN "User" u ON u.id = o."userId"
        WHERE o."conversationId" = c.id AND o."userId" <> ${userId}::uuid
      ) END AS "dmMembers",
      (SELECT name FROM "User" WHERE id = ${userId}::uuid) AS "selfName"
    FROM "Conversation" c
    LEFT JOIN "Membership" m ON m."conversationId" = c.id AND m."userId" = ${userId}::uuid
    LEFT JOIN LATERAL (
      SELECT
        count(*) FILTER (WHERE x."threadRootId" IS NULL OR x."alsoInChannel")::int AS "unreadCount",
        count(*) FILTER (WHERE x."mentionsAll" OR m."userId" = ANY(x."mentionedUserIds"))::int AS "mentionCount"
      FROM "Message" x
      WHERE m."userId" IS NOT NULL AND x."conversationId" = c.id AND x.seq > m."readSeq"
        AND x."senderId" <> m."userId" AND x."deletedAt" IS NULL
    ) unread ON true
    WHERE (${conversationId}::uuid IS NULL AND m."userId" IS NOT NULL)
       OR c.id = ${conversationId}::uuid
    ORDER BY c.kind, c.name NULLS LAST, c.id`;
  return rows.map(toConversationDto);
}

function toConversationDto(r: ConversationRow): ConversationDto {
  const raw = typeof r.dmMembers === "string" ? JSON.parse(r.dmMembers) : r.dmMembers;
  const dmMembers = Array.isArray(raw) ? (raw as { id: string; name: string }[]) : [];
  const isDm = r.kind === "dm" || r.kind === "group_dm";
  return {
    id: r.id,
    kind: r.kind,
    name: isDm ? dmMembers.map((m) => m.name).join(", ") || r.selfName : (r.name ?? ""),
    topic: r.topic,
    archivedAt: r.archivedAt,
    lastSeq: r.lastSeq,
    readSeq: r.readSeq ?? 0,
    unreadCount: r.unreadCount ?? 0,
    mentionCount: r.mentionCount ?? 0,
    isMember: r.memberRole !== null,
    memberRole: r.memberRole,
    muted: r.muted ?? false,
    dmMembers,
    createdAt: r.createdAt,
  };
}

async function getConversationDto(tx: Tx, actor: Actor, conversationId: string): Promise<ConversationDto> {
  const [dto] = await queryConversations(tx, actor.userId, { conversationId });
  if (!dto) throw new ParleyError("NOT_FOUND", "Conversation not found");
  return dto;
}

/** The actor's conversations with unread counts, for the sidebar. */
export async function listMyConversations(db: Db, actor: Actor): Promise<ConversationDto[]> {
  return queryConversations(db, actor.userId);
}

/** One conversation the actor may read (public channels need no membership). */
export async function getConversation(db: Db, actor: Actor, input: unknown): Promise<ConversationDto> {
  const { conversationId } = parseInput(ZConversationRef, input);
  requireRead(await loadAccess(db, actor, conversationId));
  return getConversationDto(db, actor, conversationId);
}

/** Loads users by id and fails with BAD_REQUEST unless all exist and are active. */
async function requireActiveUsers(tx: Tx, userIds: readonly string[]): Promise<Map<string, string>> {
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
async function addMembersLocked(
  w: Writer,
  actor: Actor,
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

/** Creates a channel; the creator becomes its owner. CONFLICT when the name is taken. */
export async function createChannel(db: Db, actor: Actor, input: unknown): Promise<ConversationDto> {
  const data = parseInput(ZCreateChannel, input);
  try {
    return await inWriteTx(db, async (w) => {
      const others = (data.memberIds ?? []).filter((id) => id !== actor.userId);
      const members = await requireActiveUsers(w.tx, [actor.userId, ...others]);
      const conversation = await w.tx.conversation.create({
        data: {
          kind: data.isPrivate ? "private_channel" : "public_channel",
          name: data.name,
          topic: data.topic ?? "",
          createdById: actor.userId,
        },
        select: { id: true, kind: true },
      });
      // Creator first, so "X created … / X joined" reads naturally in the log.
      const ordered = new Map([[actor.userId, members.get(actor.userId)!]]);
      for (const [id, name] of members) ordered.set(id, name);
      await addMembersLocked(w, actor, conversation, ordered, new Map([[actor.userId, "owner"]]));
      return getConversationDto(w.tx, actor, conversation.id);
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ParleyError("CONFLICT", `A channel named #${data.name} already exists`);
    throw err;
  }
}

/** A channel in the browse list. */
export type BrowseChannelDto = {
  id: string;
  kind: ConversationKind;
  name: string;
  topic: string;
  archivedAt: Date | null;
  memberCount: number;
  isMember: boolean;
  createdAt: Date;
};

/** Public channels (plus private ones the actor is in), with member counts and the actor's membership. */
export async function browseChannels(db: Db, actor: Actor): Promise<BrowseChannelDto[]> {
  return db.$queryRaw<BrowseChannelDto[]>`
    SELECT c.id, c.kind::text AS kind, c.name, c.topic, c."archivedAt", c."createdAt",
      (SELECT count(*)::int FROM "Membership" a WHERE a."conversationId" = c.id) AS "memberCount",
      (m."userId" IS NOT NULL) AS "isMember"
    FROM "Conversation" c
    LEFT JOIN "Membership" m ON m."conversationId" = c.id AND m."userId" = ${actor.userId}::uuid
    WHERE c.kind = 'public_channel' OR (c.kind = 'private_channel' AND m."userId" IS NOT NULL)
    ORDER BY c.name`;
}

/**
 * Joins a public channel (idempotent). Private channels need an invitation: FORBIDDEN for their
 * members, NOT_FOUND (like an unknown id) for anyone who cannot read them; DMs likewise.
 */
export async function joinChannel(db: Db, actor: Actor, input: unknown): Promise<ConversationDto> {
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

/** Adds people to a channel. Any member may add (public or private); DMs have fixed members. */
export async function addMembers(
  db: Db,
  actor: Actor,
  input: unknown,
): Promise<{ added: string[]; conversation: ConversationDto }> {
  const { conversationId, userIds } = parseInput(ZAddMembers, input);
  return inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireRead(access);
    if (!isChannelKind(access.kind)) {
      throw new ParleyError("FORBIDDEN", "DM members are fixed; open a new group DM instead");
    }
    requireMember(access);
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

async function removeMemberLocked(w: Writer, actor: Actor, access: ConversationAccess, userId: string) {
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
export async function leaveConversation(db: Db, actor: Actor, input: unknown): Promise<void> {
  const { conversationId } = parseInput(ZConversationRef, input);
  await inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireRead(access);
    if (!isChannelKind(access.kind)) throw new ParleyError("FORBIDDEN", "DMs cannot be left");
    if (access.memberRole === null)
      throw new ParleyError("NOT_FOUND", "You are not a member of this channel");
    requireNotArchived(access);
    await removeMemberLocked(w, actor, access, actor.userId);
  });
}

/** Removes someone from a channel: the channel owner or a workspace admin, or yourself. */
export async function removeMember(db: Db, actor: Actor, input: unknown): Promise<void> {
  const { conversationId, userId } = parseInput(ZRemoveMember, input);
  if (userId === actor.userId) return leaveConversation(db, actor, { conversationId });
  await inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireChannelManager(actor, access);
    requireNotArchived(access);
    const target = await w.tx.membership.findUnique({
      where: { conversationId_userId: { conversationId, userId } },
      select: { userId: true },
    });
    if (!target) throw new ParleyError("NOT_FOUND", "That person is not a member of this channel");
    await removeMemberLocked(w, actor, access, userId);
  });
}

/** Renames a channel (channel owner or workspace admin). CONFLICT when the name is taken. */
export async function renameChannel(db: Db, actor: Actor, input: unknown): Promise<ConversationDto> {
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
      }
      return getConversationDto(w.tx, actor, conversationId);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ParleyError("CONFLICT", `A channel named #${name} already exists`);
    throw err;
  }
}

/** Sets the topic; any member may. */
export async function setTopic(db: Db, actor: Actor, input: unknown): Promise<ConversationDto> {
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

/** Archives a channel (owner or admin): readable, but no new messages or changes. Idempotent. */
export async function archiveConversation(db: Db, actor: Actor, input: unknown): Promise<ConversationDto> {
  const { conversationId } = parseInput(ZConversationRef, input);
  return inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireChannelManager(actor, access);
    if (!access.archivedAt) {
      // The event goes in first: once archivedAt is set the log takes no more appends.
      await appendConversationEvent(w, conversationId, EventKind.ConversationUpdated, actor.userId, {
        archived: true,
      });
      await w.tx.conversation.update({ where: { id: conversationId }, data: { archivedAt: new Date() } });
    }
    return getConversationDto(w.tx, actor, conversationId);
  });
}

/** Unarchives a channel (owner or admin). Idempotent. */
export async function unarchiveConversation(db: Db, actor: Actor, input: unknown): Promise<ConversationDto> {
  const { conversationId } = parseInput(ZConversationRef, input);
  return inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId, { lock: true });
    requireChannelManager(actor, access);
    if (access.archivedAt) {
      await w.tx.conversation.update({ where: { id: conversationId }, data: { archivedAt: null } });
      await appendConversationEvent(w, conversationId, EventKind.ConversationUpdated, actor.userId, {
        archived: false,
      });
    }
    return getConversationDto(w.tx, actor, conversationId);
  });
}

/** A member as listed in a conversation's member list. */
export type MemberDto = {
  userId: string;
  name: string;
  /** The member's custom status ("" when none). */
  statusEmoji: string;
  statusText: string;
  role: MemberRole;
  isDeactivated: boolean;
  joinedAt: Date;
};

/** Members of a conversation: anyone for public channels, members only otherwise (NOT_FOUND). */
export async function listMembers(db: Db, actor: Actor, input: unknown): Promise<MemberDto[]> {
  const { conversationId } = parseInput(ZConversationRef, input);
  requireRead(await loadAccess(db, actor, conversationId));
  const rows = await db.membership.findMany({
    where: { conversationId },
    select: {
      userId: true,
      role: true,
      joinedAt: true,
      user: { select: { name: true, deactivatedAt: true, statusEmoji: true, statusText: true } },
    },
    orderBy: { joinedAt: "asc" },
  });
  return rows.map((r) => ({
    userId: r.userId,
    name: r.user.name,
    statusEmoji: r.user.statusEmoji,
    statusText: r.user.statusText,
    role: r.role,
    isDeactivated: r.user.deactivatedAt !== null,
    joinedAt: r.joinedAt,
  }));
}

/**
 * Opens (or returns) the DM with one person, or the group DM with 2–8 people; a DM with yourself
 * is allowed. Idempotent: the sorted member ids form `dmKey`, unique in the table, so concurrent
 * calls for the same set converge on one conversation (the loser of the insert race reads the winner's).
 */
export async function openDm(db: Db, actor: Actor, input: unknown): Promise<ConversationDto> {
  const { userIds } = parseInput(ZOpenDm, input);
  const memberIds = [...new Set([actor.userId, ...userIds])].sort();
  const others = memberIds.length - 1;
  if (others > MAX_GROUP_DM_OTHERS) {
    throw new ParleyError("BAD_REQUEST", `A group DM has at most ${MAX_GROUP_DM_OTHERS} other people`);
  }
  const dmKey = memberIds.join(",");
  const existing = await db.conversation.findUnique({ where: { dmKey }, select: { id: true } });
  if (existing) return getConversationDto(db, actor, existing.id);
  const kind: ConversationKind = others <= 1 ? "dm" : "group_dm";
  try {
    return await inWriteTx(db, async (w) => {
      await requireActiveUsers(w.tx, memberIds);
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

/**
 * Moves the actor's read cursor forward to `seq` (clamped to the conversation's lastSeq; never
 * backwards) and tells their other devices via a read.updated user event when it moved.
 */
export async function markRead(db: Db, actor: Actor, input: unknown): Promise<{ readSeq: number }> {
  const { conversationId, seq } = parseInput(ZMarkRead, input);
  return inWriteTx(db, async (w) => {
    const rows = await w.tx.$queryRaw<{ readSeq: number }[]>`
      UPDATE "Membership" m
      SET "readSeq" = GREATEST(m."readSeq", LEAST(${seq}::int, c."lastSeq"))
      FROM "Conversation" c
      WHERE c.id = m."conversationId" AND m."conversationId" = ${conversationId}::uuid
        AND m."userId" = ${actor.userId}::uuid AND m."readSeq" < LEAST(${seq}::int, c."lastSeq")
      RETURNING m."readSeq"`;
    const moved = rows[0];
    if (moved) {
      await appendUserEvent(w, actor.userId, UserEventKind.ReadUpdated, {
        conversationId,
        readSeq: moved.readSeq,
      });
      return { readSeq: moved.readSeq };
    }
    const access = await loadAccess(w.tx, actor, conversationId);
    requireMember(access);
    const membership = await w.tx.membership.findUnique({
      where: { conversationId_userId: { conversationId, userId: actor.userId } },
      select: { readSeq: true },
    });
    return { readSeq: membership?.readSeq ?? 0 };
  });
}

/**
 * Mutes or unmutes a conversation for the actor (members only; also in archived conversations,
 * since it changes nothing others see). When it changed, appends the user event
 * `membership.updated` {conversationId, muted} so the actor's other devices refresh their list.
 */
export async function setMuted(db: Db, actor: Actor, input: unknown): Promise<ConversationDto> {
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
