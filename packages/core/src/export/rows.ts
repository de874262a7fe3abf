/**
 * What an export reads, in bounded batches (each one short query, no transaction spanning the
 * export), and how each row is written as a JSON line. Columns are named one by one: a column
 * added to a table later (a secret, say) never reaches an archive until it is added here.
 */
import { Prisma, type TDb } from "@parley/db";
import { ObjectNotFoundError, type TStorage } from "@parley/storage";
import { safeEntryName, type TExportArchive } from "./archive.ts";

/** An ISO timestamp in SQL (timestamps are stored as UTC without a zone). */
const iso = (column: Prisma.Sql) => Prisma.sql`to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** One message as it is now: body (after edits), thread, pin, reactions and its files' ids. */
export type TExportMessage = {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  body: string;
  threadRootId: string | null;
  alsoInChannel: boolean;
  replyCount: number;
  lastReplyAt: string | null;
  mentionedUserIds: string[];
  mentionsAll: boolean;
  pinnedAt: string | null;
  pinnedById: string | null;
  editedAt: string | null;
  deletedAt: string | null;
  createdAt: string;
  reactions: { emoji: string; userId: string; createdAt: string }[];
  fileIds: string[];
};

/** Which messages of one conversation a batch reads. */
export type TMessageBatchQuery = {
  conversationId: string;
  /** Seqs after this one (the keyset). */
  afterSeq: number;
  /** The cut: the conversation's last seq when the run started. */
  uptoSeq: number;
  limit: number;
  /** Only this sender's messages (a user's own export). */
  senderId?: string;
  /** Deleted messages too (as tombstones with an empty body; keeps threads whole). */
  withDeleted: boolean;
  /** Only while the conversation is still a public channel (the workspace export's rule). */
  onlyPublic: boolean;
};

/** The next batch of messages of one conversation, in seq order. */
export async function readMessageBatch(db: TDb, q: TMessageBatchQuery): Promise<TExportMessage[]> {
  const sender = q.senderId ? Prisma.sql`AND m."senderId" = ${q.senderId}::uuid` : Prisma.empty;
  const live = q.withDeleted ? Prisma.empty : Prisma.sql`AND m."deletedAt" IS NULL`;
  const publicOnly = q.onlyPublic
    ? Prisma.sql`AND EXISTS (SELECT 1 FROM "Conversation" c
        WHERE c.id = m."conversationId" AND c.kind = 'public_channel')`
    : Prisma.empty;
  return db.$queryRaw<TExportMessage[]>`
    SELECT m.id, m."conversationId", m.seq, m."senderId", m.body, m."threadRootId", m."alsoInChannel",
      m."replyCount", ${iso(Prisma.sql`m."lastReplyAt"`)} AS "lastReplyAt",
      m."mentionedUserIds"::text[] AS "mentionedUserIds", m."mentionsAll",
      ${iso(Prisma.sql`m."pinnedAt"`)} AS "pinnedAt", m."pinnedById",
      ${iso(Prisma.sql`m."editedAt"`)} AS "editedAt", ${iso(Prisma.sql`m."deletedAt"`)} AS "deletedAt",
      ${iso(Prisma.sql`m."createdAt"`)} AS "createdAt",
      COALESCE((
        SELECT json_agg(json_build_object('emoji', r.emoji, 'userId', r."userId",
          'createdAt', ${iso(Prisma.sql`r."createdAt"`)}) ORDER BY r."createdAt", r."userId", r.emoji)
        FROM "Reaction" r WHERE r."messageId" = m.id), '[]'::json) AS reactions,
      ARRAY(SELECT a.id::text FROM "Attachment" a
        WHERE a."messageId" = m.id AND a.status = 'ready' ORDER BY a.id) AS "fileIds"
    FROM "Message" m
    WHERE m."conversationId" = ${q.conversationId}::uuid AND m.seq > ${q.afterSeq} AND m.seq <= ${q.uptoSeq}
      ${sender} ${live} ${publicOnly}
    ORDER BY m.seq
    LIMIT ${q.limit}`;
}

/** A file's metadata line; `path` is where its bytes are in the archive (null: missing in storage). */
export type TExportFile = {
  id: string;
  messageId: string;
  conversationId: string;
  uploaderId: string;
  name: string;
  mime: string;
  size: number;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  createdAt: string;
  path: string | null;
};

type TFileRow = Omit<TExportFile, "path" | "size"> & { objectKey: string; size: bigint };

/**
 * Adds the files of `messageIds` (ready ones only: a deleted message's files are gone) to the
 * archive under `<root>/objects/<id>/<name>`, streamed from storage with their stored size, and
 * returns their metadata lines. An object missing from storage is listed with `path: null`.
 */
export async function addMessageFiles(
  db: TDb,
  storage: TStorage,
  archive: TExportArchive,
  root: string,
  messageIds: readonly string[],
): Promise<TExportFile[]> {
  if (messageIds.length === 0) return [];
  const rows = await db.$queryRaw<TFileRow[]>`
    SELECT id, "messageId", "conversationId", "uploaderId", "objectKey", name, mime, size, width, height,
      "durationMs", ${iso(Prisma.sql`"createdAt"`)} AS "createdAt"
    FROM "Attachment"
    WHERE "messageId" = ANY(${messageIds}::uuid[]) AND status = 'ready'
    ORDER BY "messageId", id`;
  const out: TExportFile[] = [];
  for (const { objectKey, size, ...row } of rows) {
    const path = `objects/${row.id}/${safeEntryName(row.name)}`;
    const isAdded = await addObject(storage, archive, objectKey, `${root}/${path}`);
    out.push({ ...row, size: Number(size), path: isAdded ? path : null });
  }
  return out;
}

/** Streams one object into the archive; false when storage does not have it (deleted meanwhile). */
async function addObject(
  storage: TStorage,
  archive: TExportArchive,
  key: string,
  entryName: string,
): Promise<boolean> {
  const info = await storage.statObject(key);
  if (!info) return false;
  let body: Awaited<ReturnType<TStorage["getObject"]>>;
  try {
    body = await storage.getObject(key);
  } catch (err) {
    if (err instanceof ObjectNotFoundError) return false;
    throw err;
  }
  await archive.addStream(entryName, info.size, body);
  return true;
}

/** A user as the workspace export lists them: never a password hash, session or token. */
export type TExportUser = {
  id: string;
  email: string;
  name: string;
  role: string;
  statusEmoji: string;
  statusText: string;
  deactivatedAt: string | null;
  createdAt: string;
};

/** The next batch of users (by id) created before the cut. */
export async function readUserBatch(
  db: TDb,
  afterId: string | null,
  cut: Date,
  limit: number,
): Promise<TExportUser[]> {
  return db.$queryRaw<TExportUser[]>`
    SELECT id, email, name, role::text AS role, "statusEmoji", "statusText",
      ${iso(Prisma.sql`"deactivatedAt"`)} AS "deactivatedAt", ${iso(Prisma.sql`"createdAt"`)} AS "createdAt"
    FROM "User"
    WHERE "createdAt" <= ${cut}::timestamp(3)
      ${afterId ? Prisma.sql`AND id > ${afterId}::uuid` : Prisma.empty}
    ORDER BY id LIMIT ${limit}`;
}

/**
 * A channel line. Public channels in full; private ones by name and member count only
 * (`contentIncluded: false`; no topic, members or messages), as the admin console shows them.
 */
export type TExportChannel = {
  id: string;
  kind: "public_channel" | "private_channel";
  name: string | null;
  memberCount: number;
  createdAt: string;
  archivedAt: string | null;
  contentIncluded: boolean;
  topic?: string;
  createdById?: string | null;
  isDefault?: boolean;
};

type TChannelRow = Required<Omit<TExportChannel, "contentIncluded">>;

/** The next batch of channels (by id; DMs and group DMs are never listed) created before the cut. */
export async function readChannelBatch(
  db: TDb,
  afterId: string | null,
  cut: Date,
  limit: number,
): Promise<TExportChannel[]> {
  const rows = await db.$queryRaw<TChannelRow[]>`
    SELECT c.id, c.kind::text AS kind, c.name, c.topic, c."createdById", c."isDefault",
      (SELECT count(*)::int FROM "Membership" mb WHERE mb."conversationId" = c.id) AS "memberCount",
      ${iso(Prisma.sql`c."createdAt"`)} AS "createdAt", ${iso(Prisma.sql`c."archivedAt"`)} AS "archivedAt"
    FROM "Conversation" c
    WHERE c.kind IN ('public_channel', 'private_channel') AND c."createdAt" <= ${cut}::timestamp(3)
      ${afterId ? Prisma.sql`AND c.id > ${afterId}::uuid` : Prisma.empty}
    ORDER BY c.id LIMIT ${limit}`;
  return rows.map((c) => {
    const base = {
      id: c.id,
      kind: c.kind,
      name: c.name,
      memberCount: c.memberCount,
      createdAt: c.createdAt,
      archivedAt: c.archivedAt,
    };
    return c.kind === "public_channel"
      ? { ...base, contentIncluded: true, topic: c.topic, createdById: c.createdById, isDefault: c.isDefault }
      : { ...base, contentIncluded: false };
  });
}

/** A membership line (public channels only). */
export type TExportMembership = { conversationId: string; userId: string; role: string; joinedAt: string };

/** The next batch of one public channel's members (by user id) who joined before the cut. */
export async function readMembershipBatch(
  db: TDb,
  conversationId: string,
  afterUserId: string | null,
  cut: Date,
  limit: number,
): Promise<TExportMembership[]> {
  return db.$queryRaw<TExportMembership[]>`
    SELECT mb."conversationId", mb."userId", mb.role::text AS role, ${iso(Prisma.sql`mb."joinedAt"`)} AS "joinedAt"
    FROM "Membership" mb JOIN "Conversation" c ON c.id = mb."conversationId"
    WHERE mb."conversationId" = ${conversationId}::uuid AND c.kind = 'public_channel'
      AND mb."joinedAt" <= ${cut}::timestamp(3)
      ${afterUserId ? Prisma.sql`AND mb."userId" > ${afterUserId}::uuid` : Prisma.empty}
    ORDER BY mb."userId" LIMIT ${limit}`;
}

/** A conversation with the cut of its log (its lastSeq when the run started). */
export type TConversationCut = { id: string; lastSeq: number };

/** Public channels and their cuts, read once at the start of a workspace export. */
export async function publicChannelCuts(db: TDb): Promise<TConversationCut[]> {
  return db.$queryRaw<TConversationCut[]>`
    SELECT id, "lastSeq" FROM "Conversation" WHERE kind = 'public_channel' ORDER BY id`;
}

/** Every conversation (channels of both kinds, DMs, group DMs) and its cut: a full export. */
export async function allConversationCuts(db: TDb): Promise<TConversationCut[]> {
  return db.$queryRaw<TConversationCut[]>`SELECT id, "lastSeq" FROM "Conversation" ORDER BY id`;
}

/** A private channel, DM or group DM as a full export lists it (slack-format.ts). */
export type TExportPrivateConversation = {
  id: string;
  kind: "private_channel" | "dm" | "group_dm";
  name: string | null;
  topic: string;
  createdById: string | null;
  createdAt: string;
  archivedAt: string | null;
  /** Current members, by id. */
  memberIds: string[];
};

/** The next batch of private channels, DMs and group DMs (by id) created before the cut. */
export async function readPrivateConversationBatch(
  db: TDb,
  afterId: string | null,
  cut: Date,
  limit: number,
): Promise<TExportPrivateConversation[]> {
  return db.$queryRaw<TExportPrivateConversation[]>`
    SELECT c.id, c.kind::text AS kind, c.name, c.topic, c."createdById",
      ${iso(Prisma.sql`c."createdAt"`)} AS "createdAt", ${iso(Prisma.sql`c."archivedAt"`)} AS "archivedAt",
      ARRAY(SELECT mb."userId"::text FROM "Membership" mb
        WHERE mb."conversationId" = c.id ORDER BY mb."userId") AS "memberIds"
    FROM "Conversation" c
    WHERE c.kind IN ('private_channel', 'dm', 'group_dm') AND c."createdAt" <= ${cut}::timestamp(3)
      ${afterId ? Prisma.sql`AND c.id > ${afterId}::uuid` : Prisma.empty}
    ORDER BY c.id LIMIT ${limit}`;
}

/** The conversations `userId` has sent (live) messages in, and their cuts. */
export async function senderConversationCuts(db: TDb, userId: string): Promise<TConversationCut[]> {
  return db.$queryRaw<TConversationCut[]>`
    SELECT c.id, c."lastSeq" FROM "Conversation" c
    WHERE c.id IN (SELECT DISTINCT "conversationId" FROM "Message"
      WHERE "senderId" = ${userId}::uuid AND "deletedAt" IS NULL)
    ORDER BY c.id`;
}

/** How many messages the cuts hold (all, or one sender's live ones): the progress bar's total. */
export async function countMessages(
  db: TDb,
  cuts: readonly TConversationCut[],
  senderId?: string,
): Promise<number> {
  if (cuts.length === 0) return 0;
  const [row] = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "Message" m
    JOIN unnest(${cuts.map((c) => c.id)}::uuid[], ${cuts.map((c) => c.lastSeq)}::int[]) AS cut(id, upto)
      ON cut.id = m."conversationId"
    WHERE m.seq <= cut.upto
      ${senderId ? Prisma.sql`AND m."senderId" = ${senderId}::uuid AND m."deletedAt" IS NULL` : Prisma.empty}`;
  return row?.n ?? 0;
}
