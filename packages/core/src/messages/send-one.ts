/**
 * One send on its own (`sendOne`), and what both roads of `send.ts` share: the refusal rules, the
 * payload and DTO of a stored message, duplicate answers and explaining a refused write.
 *
 * sendOne does one read (conversation, membership, sender name and any earlier message with
 * the same clientMsgId, in one query) and then ONE write statement: a CTE that bumps
 * Conversation.lastSeq under its row lock, inserts the message.created Event and the Message, and
 * bumps the thread root's reply count. A single statement is its own transaction, so the write is
 * atomic, and its UPDATE re-checks "not archived", "sender is a member" and, for a reply, "the root
 * is a live top-level message here" at write time (no window between the check and the write).
 * When the write stores nothing, a winner with the same clientMsgId is looked up first: a resend
 * that waited on the files the first attempt linked is a duplicate, not a refusal. Idempotency rests
 * on the unique (senderId, clientMsgId): a concurrent duplicate loses the insert race, gets a unique
 * violation (the whole statement, seq bump included, rolls back: no gap) and returns the winner with
 * `duplicate: true`. A duplicate answer re-checks membership now and carries only the message's
 * identity (`duplicateOf`).
 *
 * Mentions are derived from the body (`parseMentions` of @parley/protocol): `mentionedUserIds` keeps
 * the mentioned users who are members at send time, and the members of mentioned user groups who
 * are (the pre-read looks them up, mentions.ts), `mentionsAll`
 * is set by `<!channel>`, `<!here>` or `<!everyone>` — which the workspace's broadcast policy may
 * reserve to admins in larger channels (`broadcast.ts`: the pre-read and the write statement both
 * apply it, only for such a body). A thread reply (`threadRootId`) shows in the
 * channel's main list only with `alsoInChannel`; history leaves the other replies to `getThread`.
 *
 * Attachments ride in the same statement: its first step locks the sender's ready, unlinked
 * uploads to this conversation (`FOR UPDATE` re-checks them after any concurrent link), the
 * conversation UPDATE only proceeds when all of them qualified, and a later step links them. So a
 * message is either stored with all its files or not at all, and one file never joins two messages.
 */
import { type ConversationKind, isUniqueViolation, Prisma, type TDb } from "@parley/db";
import { EventKind, parseMentions, type TConversationEventPayload } from "@parley/protocol";
import {
  loadAccess,
  NotFound,
  notFound,
  requireMember,
  requireNotArchived,
  type TAccessFacts,
} from "../access.ts";
import type { TActor } from "../actor.ts";
import { ParleyError } from "../errors.ts";
import { publishCommitted, type TConversationEventRecord, writesInFlight } from "../events.ts";
import { uuidv7 } from "../ids.ts";
import { mentionedMembersSql } from "../mentions.ts";
import { attachmentSelect, type TAttachmentDto, type TMessageDto, toAttachmentDto } from "../messages.ts";
import type { TSendMessage } from "../schemas.ts";
import { broadcastLimitSql, broadcastRestricted, requireBroadcastAllowed } from "./broadcast.ts";

/** What the pre-read tells about one send (one row per send, also in the batched read). */
export type TSendCheck = {
  kind: ConversationKind | null;
  archivedAt: Date | null;
  isMember: boolean;
  /** The sender is a workspace guest (by the role stored now): a public channel they are not in is unknown to them. */
  isGuest: boolean;
  senderName: string;
  existingId: string | null;
  /** The mentioned users who are members, in order of first mention. */
  mentionedMemberIds: string[];
  /** Replies: the root is a live message of this conversation, and is itself a reply (refused). */
  isRootLive: boolean;
  isRootAReply: boolean;
  /**
   * The broadcast policy's threshold when it refuses this send's @channel/@here/@everyone, else
   * null (always null for a body without one: not evaluated).
   */
  broadcastLimit: number | null;
};

/** What a resend of an already stored message gets back: its ack identity only, no content. */
export type TSentMessageRef = Pick<TMessageDto, "id" | "conversationId" | "seq" | "clientMsgId">;

/**
 * Result of a send: the stored message, or — when an earlier attempt had stored it
 * (`duplicate: true`) — only its identity (id, conversationId, seq, clientMsgId), after checking
 * the sender may still post there. A resend is not a read: it never returns the body, files,
 * reactions or anything that changed since.
 */
export type TSendMessageResult =
  | { message: TMessageDto; duplicate: false }
  | { message: TSentMessageRef; duplicate: true };

/** A validated send, as both roads take it. */
export type TSendInput = TSendMessage;

/**
 * Throws the refusal a pre-read `check` calls for (the same order on both roads), or returns
 * normally when the send may go ahead. `existingId` is the caller's business (a duplicate).
 */
export function requireSendable(check: TSendCheck, threadRootId: string | null): void {
  if (!check.kind) throw notFound();
  // The rules every writer uses (access.ts): unknown and unreadable conversations answer alike.
  const access: TAccessFacts = {
    kind: check.kind,
    memberRole: check.isMember ? "member" : null,
    archivedAt: check.archivedAt,
    isGuest: check.isGuest,
  };
  requireMember(access);
  requireNotArchived(access);
  if (threadRootId) requireThreadRoot(check);
  if (check.broadcastLimit !== null) throw broadcastRestricted(check.broadcastLimit);
}

/** What a send decided before its write: everything of the stored message but its seq. */
export type TStoredSend = {
  id: string;
  createdAt: Date;
  senderName: string;
  mentionedUserIds: string[];
  mentionsAll: boolean;
  attachments: TAttachmentDto[];
};

/**
 * The stored message's event and DTO, from what the send decided (both roads); `payload` is the
 * one `eventPayload` built for the write (built once, stored and published alike). The DTO is the
 * payload's message plus what the frame carries (conversation, seq) and a new message's state.
 */
export function sentMessage(
  actor: TActor,
  data: TSendInput,
  stored: TStoredSend & { seq: number; membersSeq: number },
  payload: TMessageCreatedPayload,
): { event: TConversationEventRecord; message: TMessageDto } {
  const event: TConversationEventRecord = {
    conversationId: data.conversationId,
    seq: stored.seq,
    kind: EventKind.MessageCreated,
    actorId: actor.userId,
    payload,
    createdAt: stored.createdAt,
    membersSeq: stored.membersSeq,
  };
  return {
    event,
    message: {
      ...payload.message,
      conversationId: data.conversationId,
      seq: stored.seq,
      replyCount: 0,
      editedAt: null,
      deletedAt: null,
      reactions: [],
      linkPreview: null,
    },
  };
}

/** The payload of message.created, as the protocol defines it. */
export type TMessageCreatedPayload = TConversationEventPayload<typeof EventKind.MessageCreated>;

/**
 * The typed constructor of the `message.created` payload, as stored in the Event row and sent to
 * clients (send-batch.ts builds the same fields in SQL; a test decodes both with the protocol).
 */
export function eventPayload(actor: TActor, data: TSendInput, stored: TStoredSend): TMessageCreatedPayload {
  const threadRootId = data.threadRootId ?? null;
  return {
    message: {
      id: stored.id,
      senderId: actor.userId,
      senderName: stored.senderName,
      clientMsgId: data.clientMsgId,
      body: data.body,
      threadRootId,
      alsoInChannel: threadRootId !== null && data.alsoInChannel === true,
      lastReplyAt: null,
      mentionedUserIds: stored.mentionedUserIds,
      mentionsAll: stored.mentionsAll,
      pinnedAt: null,
      pinnedById: null,
      createdAt: stored.createdAt,
      attachments: stored.attachments,
    },
  };
}

/** One send on its own: one pre-read, one write statement (see the file header). */
export async function sendOne(db: TDb, actor: TActor, data: TSendInput): Promise<TSendMessageResult> {
  const { conversationId, clientMsgId, body } = data;
  const threadRootId = data.threadRootId ?? null;
  const alsoInChannel = threadRootId !== null && data.alsoInChannel === true;
  const attachmentIds = data.attachmentIds ?? [];
  const mentions = parseMentions(body);

  const [check] = await db.$queryRaw<TSendCheck[]>`
    SELECT c.kind::text AS kind, c."archivedAt", (m."userId" IS NOT NULL) AS "isMember",
      (u.role = 'guest') AS "isGuest", u.name AS "senderName", ex.id AS "existingId",
      ${mentionedMembersSql(mentions.userIds, mentions.groupIds, conversationId)} AS "mentionedMemberIds",
      (r.id IS NOT NULL AND r."conversationId" = c.id AND r."deletedAt" IS NULL) AS "isRootLive",
      (r."threadRootId" IS NOT NULL) AS "isRootAReply",
      ${mentions.all ? Prisma.raw(broadcastLimitSql({ conv: "c.id", kind: "c.kind", role: "u.role" })) : null}::int
        AS "broadcastLimit"
    FROM "User" u
    LEFT JOIN "Conversation" c ON c.id = ${conversationId}::uuid
    LEFT JOIN "Membership" m ON m."conversationId" = c.id AND m."userId" = u.id
    LEFT JOIN "Message" ex ON ex."senderId" = u.id AND ex."clientMsgId" = ${clientMsgId}
    LEFT JOIN "Message" r ON r.id = ${threadRootId}::uuid
    WHERE u.id = ${actor.userId}::uuid`;
  if (!check) throw new ParleyError("UNAUTHORIZED", "Unknown user");
  if (check.existingId) return duplicateOf(db, actor, check.existingId, conversationId);
  requireSendable(check, threadRootId);
  let attachments: TAttachmentDto[];
  try {
    attachments = await linkableAttachments(db, actor, conversationId, attachmentIds);
  } catch (err) {
    // A concurrent attempt may have linked these very files to this very message.
    const duplicate = await storedMeanwhile(db, actor, data);
    if (duplicate) return duplicate;
    throw err;
  }

  const id = uuidv7();
  const createdAt = new Date();
  const mentionedUserIds = check.mentionedMemberIds;
  const stored: TStoredSend = {
    id,
    createdAt,
    senderName: check.senderName,
    mentionedUserIds,
    mentionsAll: mentions.all,
    attachments,
  };
  const payload = eventPayload(actor, data, stored);
  // Re-checked under the row lock, like membership; only a body with a broadcast pays for it.
  const broadcastCheck = mentions.all
    ? Prisma.sql`AND NOT EXISTS (
        SELECT 1 FROM "User" su WHERE su.id = ${actor.userId}::uuid AND ${Prisma.raw(
          broadcastLimitSql({ conv: '"Conversation".id', kind: '"Conversation".kind', role: "su.role" }),
        )} IS NOT NULL)`
    : Prisma.empty;
  let rows: { seq: number; membersSeq: number }[];
  writesInFlight.begin([conversationId]);
  try {
    rows = await db.$queryRaw<{ seq: number; membersSeq: number }[]>`
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
          ${broadcastCheck}
          AND (${threadRootId}::uuid IS NULL OR EXISTS (
            SELECT 1 FROM "Message"
            WHERE id = ${threadRootId}::uuid AND "conversationId" = ${conversationId}::uuid
              AND "threadRootId" IS NULL AND "deletedAt" IS NULL
          ))
        RETURNING id, "lastSeq", "membersSeq"
      ), e AS (
        INSERT INTO "Event" ("conversationId", seq, kind, "actorId", payload, "createdAt")
        SELECT c.id, c."lastSeq", ${EventKind.MessageCreated}::text, ${actor.userId}::uuid,
          ${JSON.stringify(payload)}::jsonb, ${createdAt}::timestamp(3)
        FROM c
      ), msg AS (
        INSERT INTO "Message" (id, "conversationId", seq, "senderId", "clientMsgId", body, "threadRootId",
          "alsoInChannel", "mentionedUserIds", "mentionsAll", "createdAt")
        SELECT ${id}::uuid, c.id, c."lastSeq", ${actor.userId}::uuid, ${clientMsgId}, ${body},
          ${threadRootId}::uuid, ${alsoInChannel}, ${mentionedUserIds}::uuid[], ${mentions.all},
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
      SELECT seq, (SELECT "membersSeq" FROM c) AS "membersSeq" FROM msg`;
  } catch (err) {
    writesInFlight.end([conversationId]);
    if (!isUniqueViolation(err)) throw err;
    // A concurrent send with the same clientMsgId won the race.
    const duplicate = await storedMeanwhile(db, actor, data);
    if (!duplicate) throw err;
    return duplicate;
  }
  writesInFlight.end([conversationId]);
  const row = rows[0];
  if (row === undefined) return explainRefusal(db, actor, data);
  const sent = sentMessage(actor, data, { ...stored, ...row }, payload);
  publishCommitted([sent.event]);
  return { message: sent.message, duplicate: false };
}

/** The message a concurrent attempt with the same clientMsgId stored meanwhile, as a duplicate answer. */
async function storedMeanwhile(db: TDb, actor: TActor, data: TSendInput): Promise<TSendMessageResult | null> {
  const winner = await db.message.findUnique({
    where: { senderId_clientMsgId: { senderId: actor.userId, clientMsgId: data.clientMsgId } },
    select: { id: true },
  });
  return winner ? duplicateOf(db, actor, winner.id, data.conversationId) : null;
}

/**
 * The write stored nothing although the pre-read allowed it: answer as a duplicate when a
 * concurrent send with the same clientMsgId stored it (it may have taken the files this one
 * waited on), else say what changed — archived, left, thread root deleted, the channel grew past
 * the broadcast threshold, a file taken — or
 * CONFLICT. Always throws unless it returns the duplicate.
 */
export async function explainRefusal(db: TDb, actor: TActor, data: TSendInput): Promise<TSendMessageResult> {
  const { conversationId } = data;
  const threadRootId = data.threadRootId ?? null;
  const attachmentIds = data.attachmentIds ?? [];
  const duplicate = await storedMeanwhile(db, actor, data);
  if (duplicate) return duplicate;
  const access = await loadAccess(db, actor, conversationId);
  requireMember(access);
  requireNotArchived(access);
  if (threadRootId) {
    const [root] = await db.$queryRaw<Pick<TSendCheck, "isRootLive" | "isRootAReply">[]>`
      SELECT ("conversationId" = ${conversationId}::uuid AND "deletedAt" IS NULL) AS "isRootLive",
        ("threadRootId" IS NOT NULL) AS "isRootAReply"
      FROM "Message" WHERE id = ${threadRootId}::uuid`;
    requireThreadRoot(root ?? { isRootLive: false, isRootAReply: false });
  }
  if (parseMentions(data.body).all) await requireBroadcastAllowed(db, conversationId, actor.userId);
  if (attachmentIds.length > 0) await linkableAttachments(db, actor, conversationId, attachmentIds);
  throw new ParleyError("CONFLICT", "The conversation changed while sending; try again");
}

/**
 * The answer to a resend of `messageId` (same sender and clientMsgId): its ack identity, once the
 * sender is checked to be a member of the conversation NOW — a member removed since gets what
 * any caller gets for a conversation they cannot read (NOT_FOUND, or FORBIDDEN "Join the channel
 * first" for a public channel), never the stored message.
 */
export async function duplicateOf(
  db: TDb,
  actor: TActor,
  messageId: string,
  conversationId: string,
): Promise<TSendMessageResult> {
  const row = await db.message.findUnique({
    where: { id: messageId },
    select: { id: true, conversationId: true, seq: true, clientMsgId: true },
  });
  if (!row) throw notFound(NotFound.message);
  if (row.conversationId !== conversationId) {
    throw new ParleyError("CONFLICT", "This clientMsgId was already used for another conversation");
  }
  requireMember(await loadAccess(db, actor, conversationId));
  await republish(db, conversationId, row.seq);
  return { message: row, duplicate: true };
}

/**
 * Hands a stored message's event to the fan-out again. A resend means its sender never got the
 * ack, and the likeliest reason is that the process that committed it died before its fan-out
 * (which runs after the commit): without this, its receivers would only see it at their next
 * reconnect or the conversation's next event (the storm bench caught one that never arrived). A
 * push of a seq a client already has is dropped by it (the SDK, and the gateway's replay floors).
 */
async function republish(db: TDb, conversationId: string, seq: number): Promise<void> {
  const event = await db.event.findUnique({
    where: { conversationId_seq: { conversationId, seq } },
    select: { seq: true, kind: true, actorId: true, payload: true, createdAt: true },
  });
  if (!event || event.kind !== EventKind.MessageCreated) return;
  const payload = event.payload;
  publishCommitted([
    {
      conversationId,
      seq: event.seq,
      kind: EventKind.MessageCreated,
      actorId: event.actorId,
      payload: payload && typeof payload === "object" && !Array.isArray(payload) ? payload : {},
      createdAt: event.createdAt,
    },
  ]);
}

/**
 * The attachments a send may link, in upload order (their ids are time-ordered; history lists
 * them the same way): the sender's own ready uploads to this conversation not on any message yet.
 * BAD_REQUEST (nothing written) unless every id qualifies.
 */
async function linkableAttachments(
  db: TDb,
  actor: TActor,
  conversationId: string,
  attachmentIds: readonly string[],
): Promise<TAttachmentDto[]> {
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
function requireThreadRoot(root: Pick<TSendCheck, "isRootLive" | "isRootAReply">): void {
  if (!root.isRootLive) throw new ParleyError("NOT_FOUND", "Thread not found");
  if (root.isRootAReply) throw new ParleyError("BAD_REQUEST", "Replies go to the thread's first message");
}
