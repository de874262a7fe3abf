/**
 * Messages as clients see them (DTOs) and reading them: history pages, threads, pins. Sending is
 * in `messages/send.ts` (one message) and `messages/send-batch.ts` (group commit).
 */
import type { TDb } from "@parley/db";
import { type TAttachment, type TLinkPreview, type TMessagePayload, ZLinkPreview } from "@parley/protocol";
import { loadAccess, NotFound, notFound, requireRead } from "./access.ts";
import type { TActor } from "./actor.ts";
import { ParleyError, parseInput } from "./errors.ts";
import { loadReactions, type TReactionGroupDto } from "./messages/reactions.ts";
import { ZConversationRef, ZGetHistory, ZGetThread } from "./schemas.ts";

/** A file as clients see it (its bytes come from `files.downloadUrl`, never inline): the protocol's record. */
export type TAttachmentDto = TAttachment;

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
}): TAttachmentDto {
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

/**
 * A message as clients see it: the protocol's message payload (what `message.created` carries)
 * plus its place in the log and what changed since it was sent. The body is blanked, mentions
 * cleared and attachments and reactions dropped once deleted.
 */
export type TMessageDto = TMessagePayload & {
  conversationId: string;
  seq: number;
  /** Thread roots: how many live replies (`lastReplyAt` is the latest one's time, null without). */
  replyCount: number;
  editedAt: Date | null;
  deletedAt: Date | null;
  /** Reactions grouped by emoji, in order of first use; empty for a deleted message. */
  reactions: TReactionGroupDto[];
  /** The link preview shown under it (`message.preview`); null: none, not yet, removed, or deleted. */
  linkPreview: TLinkPreview | null;
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
  linkPreview: true,
  sender: { select: { name: true } },
  attachments: {
    where: { status: "ready" },
    orderBy: { id: "asc" }, // uuidv7: creation order
    select: attachmentSelect,
  },
} as const;

type MessageRow = Omit<TMessageDto, "senderName" | "attachments" | "reactions" | "linkPreview"> & {
  linkPreview: unknown;
  sender: { name: string };
  attachments: Parameters<typeof toAttachmentDto>[0][];
};

function toMessageDto(row: MessageRow, reactions: ReadonlyMap<string, TReactionGroupDto[]>): TMessageDto {
  const { sender, attachments, linkPreview, ...rest } = row;
  const preview = rest.deletedAt || linkPreview === null ? null : ZLinkPreview.safeParse(linkPreview);
  return {
    ...rest,
    linkPreview: preview?.success ? preview.data : null,
    senderName: sender.name,
    body: rest.deletedAt ? "" : rest.body,
    mentionedUserIds: rest.deletedAt ? [] : rest.mentionedUserIds,
    mentionsAll: rest.deletedAt ? false : rest.mentionsAll,
    attachments: rest.deletedAt ? [] : attachments.map(toAttachmentDto),
    reactions: rest.deletedAt ? [] : (reactions.get(rest.id) ?? []),
  };
}

/** Message rows as DTOs, with the reactions of the whole page read in one query. */
async function toMessageDtos(db: TDb, rows: readonly MessageRow[]): Promise<TMessageDto[]> {
  const live = rows.filter((r) => !r.deletedAt).map((r) => r.id);
  const reactions = await loadReactions(db, live);
  return rows.map((r) => toMessageDto(r, reactions));
}

/** A page of history, ascending by seq. */
export type THistoryPageDto = {
  messages: TMessageDto[];
  hasMoreBefore: boolean;
  hasMoreAfter: boolean;
  /** Message retention removed everything up to this seq (0: nothing was): history starts after it. */
  truncatedSeq: number;
};

/**
 * A page of a conversation's messages in seq order: the latest `limit` by default, or those
 * strictly before / after a seq, or around one (the anchor and about half the page each side).
 */
export async function getHistory(db: TDb, actor: TActor, input: unknown): Promise<THistoryPageDto> {
  const q = parseInput(ZGetHistory, input);
  const access = await loadAccess(db, actor, q.conversationId);
  requireRead(access);
  const { truncatedSeq } = access;
  // Thread replies show in the channel only when sent "also to the channel". Nothing at or below
  // the retention tombstone: retention removes those rows in the transaction that moves it, so
  // this only keeps a page read across that commit from mixing both sides.
  const where = (seq: { lt?: number; lte?: number; gte?: number } = {}) => ({
    conversationId: q.conversationId,
    OR: [{ threadRootId: null }, { alsoInChannel: true }],
    seq: { gt: truncatedSeq, ...seq },
  });

  const older = async (seqBelow: number | undefined, take: number) => {
    const rows = await db.message.findMany({
      where: where(seqBelow === undefined ? {} : { lt: seqBelow }),
      orderBy: { seq: "desc" },
      take: take + 1,
      select: messageSelect,
    });
    return { rows: rows.slice(0, take).reverse(), hasMore: rows.length > take };
  };
  const newer = async (seqFrom: number, take: number) => {
    const rows = await db.message.findMany({
      where: where({ gte: seqFrom }),
      orderBy: { seq: "asc" },
      take: take + 1,
      select: messageSelect,
    });
    return { rows: rows.slice(0, take), hasMore: rows.length > take };
  };

  if (q.after !== undefined) {
    const page = await newer(q.after + 1, q.limit);
    const before = await db.message.findFirst({
      where: where({ lte: q.after }),
      select: { id: true },
    });
    return {
      messages: await toMessageDtos(db, page.rows),
      hasMoreBefore: before !== null,
      hasMoreAfter: page.hasMore,
      truncatedSeq,
    };
  }
  if (q.around !== undefined) {
    const beforeCount = Math.floor(q.limit / 2);
    const [a, b] = await Promise.all([older(q.around, beforeCount), newer(q.around, q.limit - beforeCount)]);
    return {
      messages: await toMessageDtos(db, [...a.rows, ...b.rows]),
      hasMoreBefore: a.hasMore,
      hasMoreAfter: b.hasMore,
      truncatedSeq,
    };
  }
  const page = await older(q.before, q.limit);
  const hasMoreAfter =
    q.before === undefined
      ? false
      : (await db.message.findFirst({
          where: where({ gte: q.before }),
          select: { id: true },
        })) !== null;
  return {
    messages: await toMessageDtos(db, page.rows),
    hasMoreBefore: page.hasMore,
    hasMoreAfter,
    truncatedSeq,
  };
}

/** A page of a thread: its root message and replies in ascending seq. */
export type TThreadPage = {
  root: TMessageDto;
  replies: TMessageDto[];
  hasMoreBefore: boolean;
  /** Only with `after`: more replies follow this page. */
  hasMoreAfter?: boolean;
};

/**
 * A thread: its root and the newest `limit` replies (or those strictly before the seq `before`, or
 * the oldest `limit` strictly after the seq `after`),
 * ascending. Whoever may read the conversation's history may read its threads. BAD_REQUEST when
 * `rootId` is itself a reply (open its `threadRootId` instead).
 */
export async function getThread(db: TDb, actor: TActor, input: unknown): Promise<TThreadPage> {
  const q = parseInput(ZGetThread, input);
  const root = await db.message.findUnique({ where: { id: q.rootId }, select: messageSelect });
  // Unknown roots and roots in conversations the actor cannot read answer alike.
  if (!root) throw notFound(NotFound.thread);
  requireRead(await loadAccess(db, actor, root.conversationId), NotFound.thread);
  if (root.threadRootId) {
    throw new ParleyError("BAD_REQUEST", "This message is a reply; open its thread's first message");
  }
  if (q.after !== undefined) {
    const next = await db.message.findMany({
      where: { threadRootId: q.rootId, seq: { gt: q.after } },
      orderBy: { seq: "asc" },
      take: q.limit + 1,
      select: messageSelect,
    });
    const [rootDto, ...replies] = await toMessageDtos(db, [root, ...next.slice(0, q.limit)]);
    const hasMoreBefore = replies[0]
      ? (await db.message.findFirst({
          where: { threadRootId: q.rootId, seq: { lt: replies[0].seq } },
          select: { id: true },
        })) !== null
      : q.after > 0;
    return { root: rootDto as TMessageDto, replies, hasMoreBefore, hasMoreAfter: next.length > q.limit };
  }
  const rows = await db.message.findMany({
    where: { threadRootId: q.rootId, ...(q.before === undefined ? {} : { seq: { lt: q.before } }) },
    orderBy: { seq: "desc" },
    take: q.limit + 1,
    select: messageSelect,
  });
  const page = rows.slice(0, q.limit).reverse();
  const [rootDto, ...replies] = await toMessageDtos(db, [root, ...page]);
  return { root: rootDto as TMessageDto, replies, hasMoreBefore: rows.length > q.limit };
}

/** Most pins one conversation lists (a safety bound; Slack allows 100). */
export const MAX_PINS_LISTED = 200;

/** The conversation's pinned messages that are not deleted, newest pin first (readers of its history). */
export async function listPins(db: TDb, actor: TActor, input: unknown): Promise<TMessageDto[]> {
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
