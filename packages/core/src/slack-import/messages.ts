/**
 * The import's bulk writer of messages: the one path that appends history with times in the past.
 * It keeps every guarantee of the log (ARCHITECTURE.md "Data model", "Sending"):
 *
 * - a batch is ONE transaction (`inWriteTx`): it takes the conversation's row lock with
 *   `UPDATE "Conversation" SET "lastSeq" = "lastSeq" + n … RETURNING` — the lock every writer
 *   takes — so its seqs are the next n, gap-free, and live sends into the same conversation wait
 *   for at most one batch (and interleave between batches);
 * - every change is an Event row in the same transaction as its projection: `message.created`
 *   (then `message.edited` when Slack says it was edited, `message.deleted` for a tombstone,
 *   `reaction.added` per reaction and `message.pinned` for a pin, right after their message), so
 *   resuming clients replay it and the search indexer (which follows the log) indexes it; the
 *   events go to the event sink after commit like any write's (`writesInFlight` counts the batch);
 * - messages are written in Slack's time order (a conversation's day files, oldest first; `ts`
 *   within a day), `Message.createdAt` = the Slack ts, so seq order is time order for what one
 *   import writes. A message already mapped (an earlier import) is skipped: a second import of the
 *   same export writes nothing, and a later export of the same workspace appends only what is new
 *   (after whatever the conversation holds by then);
 * - thread replies point at their root (always an earlier message of the same conversation); the
 *   roots' `replyCount`/`lastReplyAt` are recounted from their live replies in the same transaction.
 *   A reply whose root is not in the export becomes a top-level message.
 *
 * Files (files.ts): a file whose bytes the zip holds becomes an Attachment row inserted with its
 * message (the object stored before the transaction) and listed in its `message.created` payload;
 * any other becomes a line "[file not imported: <name>]" at the end of the body (Slack's own
 * export holds links, not bytes, and fetching from Slack would need the workspace's token, which
 * an import never holds).
 */

import type { TDb } from "@parley/db";
import { EventKind, MAX_BODY_LENGTH, parseMentions, type TConversationEventPayload } from "@parley/protocol";
import type { TConversationEventRecord } from "../events.ts";
import { writesInFlight } from "../events.ts";
import { uuidv7 } from "../ids.ts";
import { toAttachmentDto } from "../messages.ts";
import { isValidEmoji } from "../schemas.ts";
import { inWriteTx } from "../tx.ts";
import { messageKind } from "./conversations.ts";
import type { TFileIndex, TImportedFile, TPreparedFile } from "./files.ts";
import { cleanLine, convertText, type TSlackMessage, tsToDate } from "./format.ts";
import { senderOf } from "./plan.ts";
import type { TImportedUser } from "./users.ts";

/** What the writer keeps per conversation between batches. */
export type TConversationState = {
  conversationId: string;
  slackId: string;
  /** Slack ts → Parley message (with its thread root, null for a top-level message). */
  byTs: Map<string, { id: string; rootId: string | null }>;
  memberIds: Set<string>;
  /** ts → who pinned it and when (channels.json `pins`). */
  pins: Map<string, { userSlackId?: string | undefined; at?: number | undefined }>;
  /** Who writes what has no sender (a tombstone without a user). */
  fallbackSenderId: string;
  /** Where the zip holds file bytes (files.ts). */
  fileIndex: TFileIndex;
};

export type TPreparedMessage = {
  ts: string;
  id: string;
  senderId: string;
  senderName: string;
  body: string;
  threadRootId: string | null;
  alsoInChannel: boolean;
  mentionedUserIds: string[];
  mentionsAll: boolean;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  pinnedAt: Date | null;
  pinnedById: string | null;
  reactions: { userId: string; emoji: string }[];
  missingFiles: number;
  /** Files whose bytes the zip holds, to store before the batch is written. */
  files: TPreparedFile[];
  /** The stored ones (files.ts `storeFile`), inserted as attachments with the message. */
  attachments: TImportedFile[];
};

/** Loads what earlier imports wrote of this conversation, and its members. */
export async function loadConversationState(
  db: TDb,
  base: Omit<TConversationState, "byTs" | "memberIds">,
): Promise<TConversationState> {
  const [mapped, members] = await Promise.all([
    db.$queryRaw<{ ts: string; id: string; rootId: string | null }[]>`
      SELECT m."slackId" AS ts, m."parleyId" AS id, msg."threadRootId" AS "rootId"
      FROM "SlackImportMapping" m JOIN "Message" msg ON msg.id = m."parleyId"
      WHERE m.kind = ${messageKind(base.slackId)}`,
    db.membership.findMany({ where: { conversationId: base.conversationId }, select: { userId: true } }),
  ]);
  return {
    ...base,
    byTs: new Map(mapped.map((r) => [r.ts, { id: r.id, rootId: r.rootId }])),
    memberIds: new Set(members.map((m) => m.userId)),
  };
}

/** Slack's reaction name (`+1`, `thumbsup::skin-tone-2`) as a Parley `:shortcode:` (or an emoji as itself), or null. */
export function reactionEmoji(name: string): string | null {
  const code = `:${name.split("::")[0]}:`;
  if (isValidEmoji(code)) return code;
  // An emoji itself (what Parley's Slack-format export writes for a reaction that was one).
  return isValidEmoji(name) ? name : null;
}

/**
 * Turns one Slack message into the row the batch writes, registering it in `state.byTs`; null when
 * it was imported before. `users` must know every sender and reactor the plan found.
 */
export function prepareMessage(
  state: TConversationState,
  users: ReadonlyMap<string, TImportedUser>,
  m: TSlackMessage,
): TPreparedMessage | null {
  if (state.byTs.has(m.ts)) return null;
  const senderSlackId = senderOf(m);
  const sender = senderSlackId ? users.get(senderSlackId) : undefined;
  const rootTs = m.thread_ts && m.thread_ts !== m.ts ? m.thread_ts : null;
  const root = rootTs ? state.byTs.get(rootTs) : undefined;
  const threadRootId = root ? (root.rootId ?? root.id) : null;
  const isTombstone = m.subtype === "tombstone";
  const createdAt = tsToDate(m.ts);
  let body = "";
  const files: TPreparedFile[] = [];
  const missing: string[] = [];
  if (!isTombstone) {
    body = convertText(m.text, (id) => users.get(id)?.id);
    for (const file of m.files ?? []) {
      if (file.mode === "tombstone" || file.mode === "hidden_by_limit") continue;
      const name = cleanLine(file.name || file.title || file.id || "file", 200);
      const zipPath = file.id ? state.fileIndex.get(file.id) : undefined;
      if (file.id && zipPath && !files.some((f) => f.slackId === file.id)) {
        files.push({ slackId: file.id, zipPath, name, declaredMime: file.mimetype ?? "" });
      } else if (!zipPath) {
        missing.push(name);
      }
    }
  }
  const id = uuidv7(createdAt.getTime());
  const pin = state.pins.get(m.ts) ?? (m.pinned_to?.includes(state.slackId) ? {} : undefined);
  state.byTs.set(m.ts, { id, rootId: threadRootId });
  const reactions: { userId: string; emoji: string }[] = [];
  if (!isTombstone) {
    const seen = new Set<string>();
    for (const r of m.reactions ?? []) {
      const emoji = reactionEmoji(r.name);
      if (!emoji) continue;
      for (const u of r.users) {
        const userId = users.get(u)?.id;
        if (!userId || seen.has(`${userId} ${emoji}`)) continue;
        seen.add(`${userId} ${emoji}`);
        reactions.push({ userId, emoji });
      }
    }
  }
  const senderId = sender?.id ?? state.fallbackSenderId;
  const prepared: TPreparedMessage = {
    ts: m.ts,
    id,
    senderId,
    senderName: sender?.name ?? "",
    body,
    threadRootId,
    alsoInChannel: threadRootId !== null && m.subtype === "thread_broadcast",
    mentionedUserIds: [],
    mentionsAll: false,
    createdAt,
    editedAt: m.edited && !isTombstone ? tsToDate(m.edited.ts) : null,
    deletedAt: isTombstone ? createdAt : null,
    pinnedAt: pin && !isTombstone ? (pin.at ? new Date(pin.at * 1000) : createdAt) : null,
    pinnedById:
      pin && !isTombstone ? ((pin.userSlackId && users.get(pin.userSlackId)?.id) ?? senderId) : null,
    reactions,
    missingFiles: 0,
    files,
    attachments: [],
  };
  noteFilesNotImported(state, prepared, missing);
  return prepared;
}

/**
 * Ends the body with a line "[file not imported: <name>]" per name (counted in `missingFiles`),
 * cuts it to MAX_BODY_LENGTH and derives its mentions again (a file name may hold a mention token).
 */
export function noteFilesNotImported(
  state: Pick<TConversationState, "memberIds">,
  m: TPreparedMessage,
  names: readonly string[],
): void {
  let body = m.body;
  for (const name of names) body += `${body === "" ? "" : "\n"}[file not imported: ${name}]`;
  if (body.length > MAX_BODY_LENGTH) body = body.slice(0, MAX_BODY_LENGTH);
  const mentions = parseMentions(body);
  m.body = body;
  m.missingFiles += names.length;
  m.mentionedUserIds = mentions.userIds.filter((u) => state.memberIds.has(u));
  m.mentionsAll = mentions.all;
}

type TPlannedEvent = { kind: string; actorId: string; payload: object; createdAt: Date };

/** The events of one message, in the order they are appended (see the file header). */
function eventsOf(m: TPreparedMessage, conversationId: string): TPlannedEvent[] {
  const created: TConversationEventPayload<typeof EventKind.MessageCreated> = {
    message: {
      id: m.id,
      senderId: m.senderId,
      senderName: m.senderName,
      clientMsgId: clientMsgIdOf(conversationId, m.ts),
      body: m.body,
      threadRootId: m.threadRootId,
      alsoInChannel: m.alsoInChannel,
      lastReplyAt: null,
      mentionedUserIds: m.mentionedUserIds,
      mentionsAll: m.mentionsAll,
      pinnedAt: null,
      pinnedById: null,
      createdAt: m.createdAt,
      attachments: m.attachments.map(toAttachmentDto),
    },
  };
  const events: TPlannedEvent[] = [
    { kind: EventKind.MessageCreated, actorId: m.senderId, payload: created, createdAt: m.createdAt },
  ];
  if (m.editedAt) {
    const edited: TConversationEventPayload<typeof EventKind.MessageEdited> = {
      messageId: m.id,
      editedAt: m.editedAt,
      body: m.body,
      mentionedUserIds: m.mentionedUserIds,
      mentionsAll: m.mentionsAll,
    };
    events.push({
      kind: EventKind.MessageEdited,
      actorId: m.senderId,
      payload: edited,
      createdAt: m.editedAt,
    });
  }
  if (m.deletedAt) {
    const deleted: TConversationEventPayload<typeof EventKind.MessageDeleted> = {
      messageId: m.id,
      deletedAt: m.deletedAt,
    };
    events.push({
      kind: EventKind.MessageDeleted,
      actorId: m.senderId,
      payload: deleted,
      createdAt: m.deletedAt,
    });
  }
  for (const r of m.reactions) {
    const added: TConversationEventPayload<typeof EventKind.ReactionAdded> = {
      messageId: m.id,
      userId: r.userId,
      emoji: r.emoji,
    };
    events.push({ kind: EventKind.ReactionAdded, actorId: r.userId, payload: added, createdAt: m.createdAt });
  }
  if (m.pinnedAt && m.pinnedById) {
    const pinned: TConversationEventPayload<typeof EventKind.MessagePinned> = {
      messageId: m.id,
      pinnedAt: m.pinnedAt,
      pinnedById: m.pinnedById,
    };
    events.push({
      kind: EventKind.MessagePinned,
      actorId: m.pinnedById,
      payload: pinned,
      createdAt: m.pinnedAt,
    });
  }
  return events;
}

/** The clientMsgId of an imported message (unique per sender, as (senderId, clientMsgId) must be). */
function clientMsgIdOf(conversationId: string, ts: string): string {
  return `slack-import:${conversationId}:${ts}`;
}

/** Thrown when the conversation was archived (or deleted) meanwhile: it takes no more history. */
export class ConversationClosedError extends Error {
  override name = "ConversationClosedError";
}

/** Writes one batch of prepared messages (see the file header); returns the seqs it took. */
export async function writeMessageBatch(
  db: TDb,
  state: TConversationState,
  batch: readonly TPreparedMessage[],
): Promise<{ firstSeq: number; lastSeq: number }> {
  const conversationId = state.conversationId;
  const planned = batch.map((m) => eventsOf(m, conversationId));
  const n = planned.reduce((sum, events) => sum + events.length, 0);
  return inWriteTx(db, async (w) => {
    if (!w.counted.has(conversationId)) {
      w.counted.add(conversationId);
      writesInFlight.begin([conversationId]);
    }
    const [locked] = await w.tx.$queryRaw<{ lastSeq: number; membersSeq: number }[]>`
      UPDATE "Conversation" SET "lastSeq" = "lastSeq" + ${n}::int
      WHERE id = ${conversationId}::uuid AND "archivedAt" IS NULL
      RETURNING "lastSeq", "membersSeq"`;
    if (!locked) throw new ConversationClosedError("the conversation was archived or deleted");
    const firstSeq = locked.lastSeq - n + 1;
    let seq = firstSeq;
    const messageSeqs: number[] = [];
    const records: TConversationEventRecord[] = [];
    planned.forEach((events) => {
      messageSeqs.push(seq);
      for (const e of events) {
        records.push({
          conversationId,
          seq: seq++,
          kind: e.kind as TConversationEventRecord["kind"],
          actorId: e.actorId,
          payload: JSON.parse(JSON.stringify(e.payload)) as Record<string, unknown>,
          createdAt: e.createdAt,
          membersSeq: locked.membersSeq,
        });
      }
    });
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    await w.tx.$executeRaw`
      INSERT INTO "Message" (id, "conversationId", seq, "senderId", "clientMsgId", body, "threadRootId",
        "alsoInChannel", "mentionedUserIds", "mentionsAll", "pinnedAt", "pinnedById", "editedAt", "deletedAt", "createdAt")
      SELECT x.id, ${conversationId}::uuid, x.seq, x.sender, x.cmid, x.body, x.root, x.also, x.mentions::uuid[],
        x.everyone, x.pinned, x.pinner, x.edited, x.deleted, x.created
      FROM unnest(${batch.map((m) => m.id)}::uuid[], ${messageSeqs}::int[], ${batch.map((m) => m.senderId)}::uuid[],
        ${batch.map((m) => clientMsgIdOf(conversationId, m.ts))}::text[], ${batch.map((m) => m.body)}::text[],
        ${batch.map((m) => m.threadRootId)}::uuid[], ${batch.map((m) => m.alsoInChannel)}::boolean[],
        ${batch.map((m) => `{${m.mentionedUserIds.join(",")}}`)}::text[], ${batch.map((m) => m.mentionsAll)}::boolean[],
        ${batch.map((m) => iso(m.pinnedAt))}::timestamp(3)[], ${batch.map((m) => m.pinnedById)}::uuid[],
        ${batch.map((m) => iso(m.editedAt))}::timestamp(3)[], ${batch.map((m) => iso(m.deletedAt))}::timestamp(3)[],
        ${batch.map((m) => iso(m.createdAt))}::timestamp(3)[])
        AS x(id, seq, sender, cmid, body, root, also, mentions, everyone, pinned, pinner, edited, deleted, created)`;
    await w.tx.$executeRaw`
      INSERT INTO "Event" ("conversationId", seq, kind, "actorId", payload, "createdAt")
      SELECT ${conversationId}::uuid, x.seq, x.kind, x.actor, x.payload::jsonb, x.created
      FROM unnest(${records.map((r) => r.seq)}::int[], ${records.map((r) => r.kind)}::text[],
        ${records.map((r) => r.actorId)}::uuid[], ${records.map((r) => JSON.stringify(r.payload))}::text[],
        ${records.map((r) => r.createdAt.toISOString())}::timestamp(3)[]) AS x(seq, kind, actor, payload, created)`;
    const files = batch.flatMap((m) => m.attachments.map((a) => ({ ...a, m })));
    if (files.length > 0) {
      await w.tx.$executeRaw`
        INSERT INTO "Attachment" (id, "uploaderId", "conversationId", "messageId", "objectKey", name, mime, size,
          width, height, "thumbnailKey", status, "createdAt")
        SELECT x.id, x.uploader, ${conversationId}::uuid, x.message, x.key, x.name, x.mime, x.size, x.width, x.height,
          x.thumb, 'ready'::"AttachmentStatus", x.created
        FROM unnest(${files.map((f) => f.id)}::uuid[], ${files.map((f) => f.m.senderId)}::uuid[],
          ${files.map((f) => f.m.id)}::uuid[], ${files.map((f) => f.objectKey)}::text[], ${files.map((f) => f.name)}::text[],
          ${files.map((f) => f.mime)}::text[], ${files.map((f) => f.size)}::bigint[], ${files.map((f) => f.width)}::int[],
          ${files.map((f) => f.height)}::int[], ${files.map((f) => f.thumbnailKey)}::text[],
          ${files.map((f) => f.m.createdAt.toISOString())}::timestamp(3)[])
          AS x(id, uploader, message, key, name, mime, size, width, height, thumb, created)`;
    }
    const reactions = batch.flatMap((m) =>
      m.reactions.map((r) => ({ ...r, messageId: m.id, at: m.createdAt })),
    );
    if (reactions.length > 0) {
      await w.tx.$executeRaw`
        INSERT INTO "Reaction" ("messageId", "userId", emoji, "createdAt")
        SELECT * FROM unnest(${reactions.map((r) => r.messageId)}::uuid[], ${reactions.map((r) => r.userId)}::uuid[],
          ${reactions.map((r) => r.emoji)}::text[], ${reactions.map((r) => r.at.toISOString())}::timestamp(3)[])`;
    }
    await w.tx.$executeRaw`
      INSERT INTO "SlackImportMapping" (kind, "slackId", "parleyId")
      SELECT ${messageKind(state.slackId)}, x.ts, x.id
      FROM unnest(${batch.map((m) => m.ts)}::text[], ${batch.map((m) => m.id)}::uuid[]) AS x(ts, id)`;
    const roots = [...new Set(batch.map((m) => m.threadRootId).filter((r) => r !== null))];
    if (roots.length > 0) {
      await w.tx.$executeRaw`
        UPDATE "Message" r SET "replyCount" = s.n, "lastReplyAt" = s.last
        FROM (
          SELECT "threadRootId" AS id, count(*) FILTER (WHERE "deletedAt" IS NULL)::int AS n,
            max("createdAt") FILTER (WHERE "deletedAt" IS NULL) AS last
          FROM "Message" WHERE "threadRootId" = ANY(${roots}::uuid[]) GROUP BY "threadRootId"
        ) s
        WHERE r.id = s.id`;
    }
    w.conversationEvents.push(...records);
    return { firstSeq, lastSeq: locked.lastSeq };
  });
}
