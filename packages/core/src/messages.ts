/**
 * Sending and reading messages — the hot path.
 *
 * sendMessage does one read (conversation, membership, sender name and any earlier message with
 * the same clientMsgId, in one query) and then ONE write statement: a CTE that bumps
 * Conversation.lastSeq under its row lock, inserts the message.created Event and the Message, and
 * bumps the thread root's reply count. A single statement is its own transaction, so the write is
 * atomic, and its UPDATE re-checks "not archived", "sender is a member" and, for a reply, "the root
 * is a live top-level message here" at write time (no window between the check and the write). When
 * the write stores nothing, a winner with the same clientMsgId is looked up first: a resend that
 * waited on the files the first attempt linked is a duplicate, not a refusal. Idempotency rests
 * on the unique (senderId, clientMsgId): a concurrent duplicate loses the insert race, gets a unique violation (the whole statement, seq
 * bump included, rolls back: no gap) and returns the winner with `duplicate: true`. A duplicate
 * answer re-checks membership now and carries only the message's identity (`duplicateOf`).
 * To batch later: turn the CTE's inputs into arrays (unnest) per conversation.
 *
 * Mentions are derived from the body (`parseMentions` of @parley/protocol): `mentionedUserIds` keeps
 * the mentioned users who are members at send time (the pre-read looks them up), `mentionsAll`
 * is set by `<!channel>`, `<!here>` or `<!everyone>`. A thread reply (`threadRootId`) shows in the
 * channel's main list only with `alsoInChannel`; history leaves the other replies to `getThread`.
 *
 * Attachments ride in the same statement: its first step locks the sender's ready, unlinked
 * uploads to this conversation (`FOR UPDATE` re-checks them after any concurrent link), the
 * conversation UPDATE only proceeds when all of them qualified, and a later step links them. So a
 * message is either stored with all its files or not at all, and one file never joins two messages.
 */
import { type Db, isUniqueViolation } from "@parley/db";
import { EventKind, parseMentions } from "@parley/protocol";
import { loadAccess, NotFound, notFound, requireMember, requireNotArchived, requireRead } from "./access.ts";
import type { Actor } from "./actor.ts";
import { ParleyError, parseInput } from "./errors.ts";
import { type ConversationEvent, publishCommitted } from "./events.ts";
import { uuidv7 } from "./ids.ts";
import { mentionedMembersSql } from "./mentions.ts";
import { loadReactions, type ReactionGroupDto } from "./reactions.ts";
import { ZConversationRef, ZGetHistory, ZGetThread, ZSendMessage } from "./schemas.ts";

/** A file as clients see it (its bytes come from `files.downloadUrl`, never inline). */
export type AttachmentDto = {
  id: string;
  name: string;
  mime: string;
  size: number;
  width: number | null;
  height: number | null;
  hasThumbnail: boolean;
  /** Voice messages: length as recorded, and peak levels 0–255 to draw (empty when unknown). */
  durationMs: number | null;
  waveform: number[];
};

/** The Attachment columns `toAttachmentDto` needs. */
export const attachmentSelect = {
  id: true,
  name: true,
  mime: true,
  size: true,
  width: true,
  height: true,
  thumbnailKey: true,
  durationMs: true,
  waveform: true,
} as const;

/** An Attachment row (or raw-query row with the same columns) as clients see it. */
export function toAttachmentDto(row: {
  id: string;
  name: string;
  mime: string;
  size: bigint | number;
  width: number | null;
  height: number | null;
  thumbnailKey: string | null;
  durationMs?: number | null;
  waveform?: number[] | null;
}): AttachmentDto {
  return {
    id: row.id,
    name: row.name,
    mime: row.mime,
    size: Number(row.size),
    width: row.width,
    height: row.height,
    hasThumbnail: row.thumbnailKey !== null,
    durationMs: row.durationMs ?? null,
    waveform: row.waveform ?? [],
  };
}

/** A message as clients see it. The body is blanked and the attachments dropped once deleted. */
export type MessageDto = {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  senderName: string;
  clientMsgId: string;
  body: string;
  /** Set on thread replies: the thread's first message. */
  threadRootId: string | null;
  /** A thread reply that also shows in the channel's main list. */
  alsoInChannel: boolean;
  /** Thread roots: how many replies, and when the latest came (null without replies). */
  replyCount: number;
  lastReplyAt: Date | null;
  /** Members mentioned with `<@id>` when it was sent or last edited; empty once deleted. */
  mentionedUserIds: string[];
  /** The body mentions everyone (`<!channel>`, `<!here>`, `<!everyone>`); false once deleted. */
  mentionsAll: boolean;
  /** When and by whom it was pinned to the conversation (null when not pinned). */
  pinnedAt: Date | null;
  pinnedById: string | null;
  editedAt: Date | null;
  deletedAt: Date | null;
  createdAt: Date;
  /** Files in upload order (by id); empty for a deleted message. */
  attachments: AttachmentDto[];
  /** Reactions grouped by emoji, in order of first use; empty for a deleted message. */
  reactions: ReactionGroupDto[];
};

const messageSelect = {
  id: true,
  conversationId: true,
  seq: true,
  senderId: true,
  clientMsgId: true,
  body: true,
  threadRootId: true,
  alsoInChannel: true,
  replyCount: true,
  lastReplyAt: true,
  mentionedUserIds: true,
  mentionsAll: true,
  pinnedAt: true,
  pinnedById: true,
  editedAt: true,
  deletedAt: true,
  createdAt: true,
  sender: { select: { name: true } },
  attachments: {
    where: { status: "ready" },
    orderBy: { id: "asc" }, // uuidv7: creation order
    select: attachmentSelect,
  },
} as const;

type MessageRow = Omit<MessageDto, "senderName" | "attachments" | "reactions"> & {
  sender: { name: string };
  attachments: Parameters<typeof toAttachmentDto>[0][];
};

function toMessageDto(row: MessageRow, reactions: ReadonlyMap<string, ReactionGroupDto[]>): MessageDto {
  const { sender, attachments, ...rest } = row;
  return {
    ...rest,
    senderName: sender.name,
    body: rest.deletedAt ? "" : rest.body,
    mentionedUserIds: rest.deletedAt ? [] : rest.mentionedUserIds,
    mentionsAll: rest.deletedAt ? false : rest.mentionsAll,
    attachments: rest.deletedAt ? [] : attachments.map(toAttachmentDto),
    reactions: rest.deletedAt ? [] : (reactions.get(rest.id) ?? []),
  };
}

/** Message rows as DTOs, with the reactions of the whole page read in one query. */
async function toMessageDtos(db: Db, rows: readonly MessageRow[]): Promise<MessageDto[]> {
  const live = rows.filter((r) => !r.deletedAt).map((r) => r.id);
  const reactions = await loadReactions(db, live);
  return rows.map((r) => toMessageDto(r, reactions));
}

type SendCheck = {
  kind: string | null;
  archivedAt: Date | null;
  isMember: boolean;
  senderName: string;
  existingId: string | null;
  /** The mentioned users who are members, in order of first mention. */
  mentionedMemberIds: string[];
  /** Replies: the root is a live message of this conversation, and is itself a reply (refused). */
  isRootLive: boolean;
  isRootAReply: boolean;
};

/** What a resend of an already stored message gets back: its ack identity only, no content. */
export type SentMessageRef = Pick<MessageDto, "id" | "conversationId" | "seq" | "clientMsgId">;

/**
 * Result of a send: the stored message, or — when an earlier attempt had stored it
 * (`duplicate: true`) — only its identity (id, conversationId, seq, clientMsgId), after checking
 * the sender may still post there. A resend is not a read: it never returns the body, files,
 * reactions or anything that changed since.
 */
export type SendResult =
  | { message: MessageDto; duplicate: false }
  | { message: SentMessageRef; duplicate: true };

/** Sends a message (idempotent per sender + clientMsgId). See the file header for the guarantees. */
export async function sendMessage(db: Db, actor: Actor, input: unknown): Promise<SendResult> {
  const data = parseInput(ZSendMessage, input);
  const { conversationId, clientMsgId, body } = data;
  const threadRootId = data.threadRootId ?? null;
  const alsoInChannel = threadRootId !== null && data.alsoInChannel === true;
  const attachmentIds = data.attachmentIds ?? [];
  const mentions = parseMentions(body);

  const [check] = await db.$queryRaw<SendCheck[]>`
    SELECT c.kind::text AS kind, c."archivedAt", (m."userId" IS NOT NULL) AS "isMember",
      u.name AS "senderName", ex.id AS "existingId",
      ${mentionedMembersSql(mentions.userIds, conversationId)} AS "mentionedMemberIds",
      (r.id IS NOT NULL AND r."conversationId" = c.id AND r."deletedAt" IS NULL) AS "isRootLive",
      (r."threadRootId" IS NOT NULL) AS "isRootAReply"
    FROM "User" u
    LEFT JOIN "Conversation" c ON c.id = ${conversationId}::uuid
    LEFT JOIN "Membership" m ON m."conversationId" = c.id AND m."userId" = u.id
    LEFT JOIN "Message" ex ON ex."senderId" = u.id AND ex."clientMsgId" = ${clientMsgId}
    LEFT JOIN "Message" r ON r.id = ${threadRootId}::uuid
    WHERE u.id = ${actor.userId}::uuid`;
  if (!check) throw new ParleyError("UNAUTHORIZED", "Unknown user");
  if (check.existingId) return duplicateOf(db, actor, check.existingId, conversationId);
  // Unknown and unreadable conversations answer alike (access.ts `requireMember`).
  if (!check.kind || (!check.isMember && check.kind !== "public_channel")) throw notFound();
  if (!check.isMember) throw new ParleyError("FORBIDDEN", "Join the channel first");
  if (check.archivedAt) throw new ParleyError("FORBIDDEN", "This conversation is archived");
  if (threadRootId) requireThreadRoot(check);
  // Stored meanwhile by a concurrent attempt with the same clientMsgId? Then that is the answer.
  const storedMeanwhile = async (): Promise<SendResult | null> => {
    const winner = await db.message.findUnique({
      where: { senderId_clientMsgId: { senderId: actor.userId, clientMsgId } },
      select: { id: true },
    });
    return winner ? duplicateOf(db, actor, winner.id, conversationId) : null;
  };
  let attachments: AttachmentDto[];
  try {
    attachments = await linkableAttachments(db, actor, conversationId, attachmentIds);
  } catch (err) {
    // A concurrent attempt may have linked these very files to this very message.
    const duplicate = await storedMeanwhile();
    if (duplicate) return duplicate;
    throw err;
  }

  const id = uuidv7();
  const createdAt = new Date();
  const mentionedUserIds = check.mentionedMemberIds;
  const mentionsAll = mentions.all;
  const payload = {
    message: {
      id,
      senderId: actor.userId,
      senderName: check.senderName,
      clientMsgId,
      body,
      threadRootId,
      alsoInChannel,
      lastReplyAt: null,
      mentionedUserIds,
      mentionsAll,
      pinnedAt: null,
      pinnedById: null,
      createdAt,
      attachments,
    },
  };
  let rows: { seq: number }[];
  try {
    rows = await db.$queryRaw<{ seq: number }[]>`
      WITH files AS (
        SELECT id FROM "Attachment"
        WHERE id = ANY(${attachmentIds}::uuid[]) AND "uploaderId" = ${actor.userId}::uuid
          AND "conversationId" = ${conversationId}::uuid AND status = 'ready' AND "messageId" IS NULL
        FOR UPDATE
      ), c AS (
        UPDATE "Conversation" SET "lastSeq" = "lastSeq" + 1
        WHERE id = ${conversationId}::uuid AND "archivedAt" IS NULL
          AND EXISTS (
            SELECT 1 FROM "Membership"
            WHERE "conversationId" = ${conversationId}::uuid AND "userId" = ${actor.userId}::uuid
          )
          AND (SELECT count(*) FROM files) = ${attachmentIds.length}
          AND (${threadRootId}::uuid IS NULL OR EXISTS (
            SELECT 1 FROM "Message"
            WHERE id = ${threadRootId}::uuid AND "conversationId" = ${conversationId}::uuid
              AND "threadRootId" IS NULL AND "deletedAt" IS NULL
          ))
        RETURNING id, "lastSeq"
      ), e AS (
        INSERT INTO "Event" ("conversationId", seq, kind, "actorId", payload, "createdAt")
        SELECT c.id, c."lastSeq", ${EventKind.MessageCreated}::text, ${actor.userId}::uuid,
          ${JSON.stringify(payload)}::jsonb, ${createdAt}::timestamp(3)
        FROM c
      ), msg AS (
        INSERT INTO "Message" (id, "conversationId", seq, "senderId", "clientMsgId", body, "threadRootId",
          "alsoInChannel", "mentionedUserIds", "mentionsAll", "createdAt")
        SELECT ${id}::uuid, c.id, c."lastSeq", ${actor.userId}::uuid, ${clientMsgId}, ${body},
          ${threadRootId}::uuid, ${alsoInChannel}, ${mentionedUserIds}::uuid[], ${mentionsAll},
          ${createdAt}::timestamp(3)
        FROM c
        RETURNING seq
      ), root AS (
        UPDATE "Message" SET "replyCount" = "replyCount" + 1, "lastReplyAt" = ${createdAt}::timestamp(3)
        WHERE id = ${threadRootId}::uuid AND EXISTS (SELECT 1 FROM msg)
      ), linked AS (
        UPDATE "Attachment" SET "messageId" = ${id}::uuid
        WHERE id IN (SELECT id FROM files) AND EXISTS (SELECT 1 FROM msg)
      )
      SELECT seq FROM msg`;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // A concurrent send with the same clientMsgId won the race.
    const duplicate = await storedMeanwhile();
    if (!duplicate) throw err;
    return duplicate;
  }
  const seq = rows[0]?.seq;
  if (seq === undefined) {
    // A concurrent send with the same clientMsgId may have taken the files this one waited on
    // (then it stored this very message: answer as a duplicate, not as a refusal).
    const duplicate = await storedMeanwhile();
    if (duplicate) return duplicate;
    // Archived, left, thread root deleted or a file taken between the check and the write: say which.
    const access = await loadAccess(db, actor, conversationId);
    requireMember(access);
    requireNotArchived(access);
    if (threadRootId) {
      const [root] = await db.$queryRaw<Pick<SendCheck, "isRootLive" | "isRootAReply">[]>`
        SELECT ("conversationId" = ${conversationId}::uuid AND "deletedAt" IS NULL) AS "isRootLive",
          ("threadRootId" IS NOT NULL) AS "isRootAReply"
        FROM "Message" WHERE id = ${threadRootId}::uuid`;
      requireThreadRoot(root ?? { isRootLive: false, isRootAReply: false });
    }
    if (attachmentIds.length > 0) await linkableAttachments(db, actor, conversationId, attachmentIds);
    throw new ParleyError("CONFLICT", "The conversation changed while sending; try again");
  }
  const event: ConversationEvent = {
    conversationId,
    seq,
    kind: EventKind.MessageCreated,
    actorId: actor.userId,
    payload,
    createdAt,
  };
  publishCommitted([event]);
  return {
    message: {
      id,
      conversationId,
      seq,
      senderId: actor.userId,
      senderName: check.senderName,
      clientMsgId,
      body,
      threadRootId,
      alsoInChannel,
      replyCount: 0,
      lastReplyAt: null,
      mentionedUserIds,
      mentionsAll,
      pinnedAt: null,
      pinnedById: null,
      editedAt: null,
      deletedAt: null,
      createdAt,
      attachments,
      reactions: [],
    },
    duplicate: false,
  };
}

/**
 * The answer to a resend of `messageId` (same sender and clientMsgId): its ack identity, once the
 * sender is checked to be a member of the conversation NOW — a member removed since gets what
 * any caller gets for a conversation they cannot read (NOT_FOUND, or FORBIDDEN "Join the channel
 * first" for a public channel), never the stored message.
 */
async function duplicateOf(
  db: Db,
  actor: Actor,
  messageId: string,
  conversationId: string,
): Promise<SendResult> {
  const row = await db.message.findUnique({
    where: { id: messageId },
    select: { id: true, conversationId: true, seq: true, clientMsgId: true },
  });
  if (!row) throw notFound(NotFound.message);
  if (row.conversationId !== conversationId) {
    throw new ParleyError("CONFLICT", "This clientMsgId was already used for another conversation");
  }
  requireMember(await loadAccess(db, actor, conversationId));
  return { message: row, duplicate: true };
}

/**
 * The attachments a send may link, in upload order (their ids are time-ordered; history lists
 * them the same way): the sender's own ready uploads to this conversation not on any message yet.
 * BAD_REQUEST (nothing written) unless every id qualifies.
 */
async function linkableAttachments(
  db: Db,
  actor: Actor,
  conversationId: string,
  attachmentIds: readonly string[],
): Promise<AttachmentDto[]> {
  if (attachmentIds.length === 0) return [];
  const rows = await db.attachment.findMany({
    where: {
      id: { in: [...attachmentIds] },
      uploaderId: actor.userId,
      conversationId,
      status: "ready",
      messageId: null,
    },
    orderBy: { id: "asc" }, // uuidv7: creation order
    select: attachmentSelect,
  });
  if (rows.length !== attachmentIds.length) {
    throw new ParleyError(
      "BAD_REQUEST",
      "Some attachments cannot be sent: each must be your own finished upload to this conversation, not sent yet",
    );
  }
  return rows.map(toAttachmentDto);
}

/** A reply's root must be a live top-level message of the same conversation. */
function requireThreadRoot(root: Pick<SendCheck, "isRootLive" | "isRootAReply">): void {
  if (!root.isRootLive) throw new ParleyError("NOT_FOUND", "Thread not found");
  if (root.isRootAReply) throw new ParleyError("BAD_REQUEST", "Replies go to the thread's first message");
}

/** A page of history, ascending by seq. */
export type HistoryPage = { messages: MessageDto[]; hasMoreBefore: boolean; hasMoreAfter: boolean };

/**
 * A page of a conversation's messages in seq order: the latest `limit` by default, or those
 * strictly before / after a seq, or around one (the anchor and about half the page each side).
 */
export async function getHistory(db: Db, actor: Actor, input: unknown): Promise<HistoryPage> {
  const q = parseInput(ZGetHistory, input);
  requireRead(await loadAccess(db, actor, q.conversationId));
  // Thread replies show in the channel only when sent "also to the channel".
  const where = {
    conversationId: q.conversationId,
    OR: [{ threadRootId: null }, { alsoInChannel: true }],
  };

  const older = async (seqBelow: number | undefined, take: number) => {
    const rows = await db.message.findMany({
      where: seqBelow === undefined ? where : { ...where, seq: { lt: seqBelow } },
      orderBy: { seq: "desc" },
      take: take + 1,
      select: messageSelect,
    });
    return { rows: rows.slice(0, take).reverse(), hasMore: rows.length > take };
  };
  const newer = async (seqFrom: number, take: number) => {
    const rows = await db.message.findMany({
      where: { ...where, seq: { gte: seqFrom } },
      orderBy: { seq: "asc" },
      take: take + 1,
      select: messageSelect,
    });
    return { rows: rows.slice(0, take), hasMore: rows.length > take };
  };

  if (q.after !== undefined) {
    const page = await newer(q.after + 1, q.limit);
    const before = await db.message.findFirst({
      where: { ...where, seq: { lte: q.after } },
      select: { id: true },
    });
    return {
      messages: await toMessageDtos(db, page.rows),
      hasMoreBefore: before !== null,
      hasMoreAfter: page.hasMore,
    };
  }
  if (q.around !== undefined) {
    const beforeCount = Math.floor(q.limit / 2);
    const [a, b] = await Promise.all([older(q.around, beforeCount), newer(q.around, q.limit - beforeCount)]);
    return {
      messages: await toMessageDtos(db, [...a.rows, ...b.rows]),
      hasMoreBefore: a.hasMore,
      hasMoreAfter: b.hasMore,
    };
  }
  const page = await older(q.before, q.limit);
  const hasMoreAfter =
    q.before === undefined
      ? false
      : (await db.message.findFirst({
          where: { ...where, seq: { gte: q.before } },
          select: { id: true },
        })) !== null;
  return { messages: await toMessageDtos(db, page.rows), hasMoreBefore: page.hasMore, hasMoreAfter };
}

/** A page of a thread: its root message and replies in ascending seq. */
export type ThreadPage = { root: MessageDto; replies: MessageDto[]; hasMoreBefore: boolean };

/**
 * A thread: its root and the newest `limit` replies (or those strictly before the seq `before`),
 * ascending. Whoever may read the conversation's history may read its threads. BAD_REQUEST when
 * `rootId` is itself a reply (open its `threadRootId` instead).
 */
export async function getThread(db: Db, actor: Actor, input: unknown): Promise<ThreadPage> {
  const q = parseInput(ZGetThread, input);
  const root = await db.message.findUnique({ where: { id: q.rootId }, select: messageSelect });
  // Unknown roots and roots in conversations the actor cannot read answer alike.
  if (!root) throw notFound(NotFound.thread);
  requireRead(await loadAccess(db, actor, root.conversationId), NotFound.thread);
  if (root.threadRootId) {
    throw new ParleyError("BAD_REQUEST", "This message is a reply; open its thread's first message");
  }
  const rows = await db.message.findMany({
    where: { threadRootId: q.rootId, ...(q.before === undefined ? {} : { seq: { lt: q.before } }) },
    orderBy: { seq: "desc" },
    take: q.limit + 1,
    select: messageSelect,
  });
  const page = rows.slice(0, q.limit).reverse();
  const [rootDto, ...replies] = await toMessageDtos(db, [root, ...page]);
  return { root: rootDto as MessageDto, replies, hasMoreBefore: rows.length > q.limit };
}

/** Most pins one conversation lists (a safety bound; Slack allows 100). */
export const MAX_PINS_LISTED = 200;

/** The conversation's pinned messages that are not deleted, newest pin first (readers of its history). */
export async function listPins(db: Db, actor: Actor, input: unknown): Promise<MessageDto[]> {
  const { conversationId } = parseInput(ZConversationRef, input);
  requireRead(await loadAccess(db, actor, conversationId));
  const rows = await db.message.findMany({
    where: { conversationId, pinnedAt: { not: null }, deletedAt: null },
    orderBy: [{ pinnedAt: "desc" }, { seq: "desc" }],
    take: MAX_PINS_LISTED,
    select: messageSelect,
  });
  return toMessageDtos(db, rows);
}
