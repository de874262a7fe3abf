/**
 * Conversations as one user sees them: the sidebar list with unread and mention counts, one
 * conversation, the channel browser and member lists. Reads only; the writers in this folder
 * answer with `getConversationDto` after their change.
 */
import type { ConversationKind, MemberRole, TDb } from "@parley/db";
import { canRead, loadAccess, requireRead, type TConversationAccess } from "../access.ts";
import type { TActor } from "../actor.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { ZConversationRef } from "../schemas.ts";
import type { TTx } from "../tx.ts";

/** A conversation as one user sees it in their sidebar. */
export type TConversationDto = {
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
  /** Notification level when not muted (muted is the "nothing" level): default (global), all, mentions. */
  notifyLevel: "default" | "all" | "mentions";
  /** Channels: @channel/@here/@everyone do not notify the reader. */
  ignoreBroadcasts: boolean;
  /** DMs only: the other members (empty for channels and a self-DM); avatarId null = initials. */
  dmMembers: { id: string; name: string; avatarId: string | null }[];
  /** Public channels: people who sign up join it (conversations/defaults.ts). */
  isDefault: boolean;
  /** The workspace's #general: everyone is in it; it cannot be left or archived. */
  isGeneral: boolean;
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
  notifyLevel: "default" | "all" | "mentions" | null;
  ignoreBroadcasts: boolean | null;
  unreadCount: number | null;
  mentionCount: number | null;
  dmMembers: unknown;
  selfName: string;
  isDefault: boolean;
  isGeneral: boolean;
};

/**
 * One query for the actor's conversations (or one conversation): unread and mention counts are
 * computed per row in SQL (one lateral scan of seq > readSeq over the (conversationId, seq)
 * index, two filtered counts), never N+1 round trips.
 */
async function queryConversations(
  db: TTx,
  userId: string,
  only?: { conversationId: string },
): Promise<TConversationDto[]> {
  const conversationId = only?.conversationId ?? null;
  const rows = await db.$queryRaw<ConversationRow[]>`
    SELECT c.id, c.kind::text AS kind, c.name, c.topic, c."archivedAt", c."lastSeq", c."createdAt",
      c."isDefault", EXISTS (SELECT 1 FROM "Workspace" ws WHERE ws."generalChannelId" = c.id) AS "isGeneral",
      m."readSeq", m.role::text AS "memberRole", m.muted,
      m."notifyLevel"::text AS "notifyLevel", m."ignoreBroadcasts",
      unread."unreadCount",
      CASE WHEN c.kind IN ('dm', 'group_dm') THEN unread."unreadCount" ELSE unread."mentionCount" END
        AS "mentionCount",
      CASE WHEN c.kind IN ('dm', 'group_dm') THEN (
        SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name, 'avatarId', u."avatarId") ORDER BY u.name, u.id), '[]'::json)
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

function toConversationDto(r: ConversationRow): TConversationDto {
  const raw = typeof r.dmMembers === "string" ? JSON.parse(r.dmMembers) : r.dmMembers;
  const dmMembers = Array.isArray(raw) ? (raw as TConversationDto["dmMembers"]) : [];
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
    notifyLevel: r.notifyLevel ?? "default",
    ignoreBroadcasts: r.ignoreBroadcasts ?? false,
    dmMembers,
    isDefault: r.isDefault,
    isGeneral: r.isGeneral,
    createdAt: r.createdAt,
  };
}

/** One conversation as the actor sees it (inside a write, after its change); NOT_FOUND when gone. */
export async function getConversationDto(
  tx: TTx,
  actor: TActor,
  conversationId: string,
): Promise<TConversationDto> {
  const [dto] = await queryConversations(tx, actor.userId, { conversationId });
  if (!dto) throw new ParleyError("NOT_FOUND", "Conversation not found");
  return dto;
}

/**
 * What a channel manager gets back after changing a channel (rename, archive, unarchive): the
 * whole DTO when they can read it; a workspace admin managing a private channel they are not in
 * gets only what admins may see of one (its name and flags): no topic, no position in its log.
 */
export async function getManagedChannelDto(
  tx: TTx,
  actor: TActor,
  access: TConversationAccess,
): Promise<TConversationDto> {
  const dto = await getConversationDto(tx, actor, access.id);
  return canRead(access) ? dto : { ...dto, topic: "", lastSeq: 0 };
}

/** The actor's conversations with unread counts, for the sidebar. */
export async function listMyConversations(db: TDb, actor: TActor): Promise<TConversationDto[]> {
  return queryConversations(db, actor.userId);
}

/** One conversation the actor may read (public channels need no membership). */
export async function getConversation(db: TDb, actor: TActor, input: unknown): Promise<TConversationDto> {
  const { conversationId } = parseInput(ZConversationRef, input);
  requireRead(await loadAccess(db, actor, conversationId));
  return getConversationDto(db, actor, conversationId);
}
/** A channel in the browse list. */
export type TBrowseChannelDto = {
  id: string;
  kind: ConversationKind;
  name: string;
  topic: string;
  archivedAt: Date | null;
  memberCount: number;
  isMember: boolean;
  createdAt: Date;
};

/**
 * Public channels (plus private ones the actor is in), with member counts and the actor's
 * membership; for a guest, only the channels they are in.
 */
export async function browseChannels(db: TDb, actor: TActor): Promise<TBrowseChannelDto[]> {
  return db.$queryRaw<TBrowseChannelDto[]>`
    SELECT c.id, c.kind::text AS kind, c.name, c.topic, c."archivedAt", c."createdAt",
      (SELECT count(*)::int FROM "Membership" a WHERE a."conversationId" = c.id) AS "memberCount",
      (m."userId" IS NOT NULL) AS "isMember"
    FROM "Conversation" c
    LEFT JOIN "Membership" m ON m."conversationId" = c.id AND m."userId" = ${actor.userId}::uuid
    WHERE c.kind IN ('public_channel', 'private_channel')
      AND (m."userId" IS NOT NULL OR (c.kind = 'public_channel' AND NOT EXISTS (
        SELECT 1 FROM "User" g WHERE g.id = ${actor.userId}::uuid AND g.role = 'guest')))
    ORDER BY c.name`;
}
/** A member as listed in a conversation's member list. */
export type TMemberDto = {
  userId: string;
  name: string;
  /** Profile: job title and pronouns ("" when none); the avatar's id (null: show initials). */
  title: string;
  pronouns: string;
  avatarId: string | null;
  /** The member's custom status ("" when none). */
  statusEmoji: string;
  statusText: string;
  role: MemberRole;
  isDeactivated: boolean;
  /** A bot (shown with a "bot" badge). */
  isBot: boolean;
  joinedAt: Date;
};

/** Members of a conversation: anyone for public channels, members only otherwise (NOT_FOUND). */
export async function listMembers(db: TDb, actor: TActor, input: unknown): Promise<TMemberDto[]> {
  const { conversationId } = parseInput(ZConversationRef, input);
  requireRead(await loadAccess(db, actor, conversationId));
  const rows = await db.membership.findMany({
    where: { conversationId },
    select: {
      userId: true,
      role: true,
      joinedAt: true,
      user: {
        select: {
          name: true,
          title: true,
          pronouns: true,
          avatarId: true,
          deactivatedAt: true,
          isBot: true,
          statusEmoji: true,
          statusText: true,
        },
      },
    },
    orderBy: { joinedAt: "asc" },
  });
  return rows.map((r) => ({
    userId: r.userId,
    name: r.user.name,
    title: r.user.title,
    pronouns: r.user.pronouns,
    avatarId: r.user.avatarId,
    statusEmoji: r.user.statusEmoji,
    statusText: r.user.statusText,
    role: r.role,
    isDeactivated: r.user.deactivatedAt !== null,
    isBot: r.user.isBot,
    joinedAt: r.joinedAt,
  }));
}
