/**
 * Saved messages ("Save for later", Slack's Later): a user keeps a private list of messages to come
 * back to. One `SavedMessage` row per user and message, so saving twice is one save and removing
 * an unsaved message is a no-op (neither writes anything). A save needs the message readable now
 * (unknown, unreadable and deleted ids all answer NOT_FOUND "Message not found"); the list and the
 * marks re-check readability in their queries, so messages of a conversation the user has left
 * since, and deleted ones, never show — their rows stay and come back if the user is let back in.
 *
 * Every change appends `saved.updated` {messageId, conversationId, isSaved} to the user's own log,
 * so their other tabs and devices follow live (the web patches the marks and refetches the list).
 */
import type { TDb } from "@parley/db";
import { UserEventKind, zLine } from "@parley/protocol";
import { z } from "zod";
import { loadAccess, requireRead } from "../access.ts";
import type { TActor } from "../actor.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { ZConversationRef, ZMessageRef } from "../schemas.ts";
import { appendUserEvent, inWriteTx } from "../tx.ts";
import {
  LATER_MESSAGE_COLUMNS,
  laterMessageJoin,
  requireReadableMessage,
  type TLaterMessage,
} from "./later-message.ts";

/** A page of the Saved view holds at most this many items (default 30). */
export const MAX_SAVED_PAGE = 100;

/** One saved message: the message as it is now and when it was saved. */
export type TSavedItem = TLaterMessage & { savedAt: Date };

/** What a save or unsave did: the message's state now; `isChanged` false when it already was. */
export type TSavedChange = { messageId: string; isSaved: boolean; isChanged: boolean };

/** A page's position: after the item saved at `savedAt` with `messageId` (the list's keyset). */
const CURSOR =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

/** `saved.list` input: an optional cursor from the previous page and a page size. */
export const ZListSaved = z.object({
  cursor: zLine().regex(CURSOR, errorTemplate("must be a cursor from a previous page")).nullish(),
  limit: z.int().min(1).max(MAX_SAVED_PAGE).default(30),
});

function cursorOf(item: TSavedItem): string {
  return `${item.savedAt.toISOString()}_${item.messageId}`;
}

/**
 * Saves a message for later (the actor must be able to read it now; not a deleted one). Saving a
 * saved message writes nothing.
 */
export async function saveMessage(db: TDb, actor: TActor, input: unknown): Promise<TSavedChange> {
  const { messageId } = parseInput(ZMessageRef, input);
  return inWriteTx(db, async (w) => {
    const { conversationId } = await requireReadableMessage(w.tx, actor, messageId);
    const inserted = await w.tx.$queryRaw<{ one: number }[]>`
      INSERT INTO "SavedMessage" ("userId", "messageId") VALUES (${actor.userId}::uuid, ${messageId}::uuid)
      ON CONFLICT DO NOTHING RETURNING 1 AS one`;
    if (inserted.length === 0) return { messageId, isSaved: true, isChanged: false };
    await appendUserEvent(w, actor.userId, UserEventKind.SavedUpdated, {
      messageId,
      conversationId,
      isSaved: true,
    });
    return { messageId, isSaved: true, isChanged: true };
  });
}

/**
 * Removes a message from the actor's saved list. Always allowed (it is their own row) and the same
 * answer for any id: a message they never saved, cannot read or that does not exist is a no-op.
 */
export async function unsaveMessage(db: TDb, actor: TActor, input: unknown): Promise<TSavedChange> {
  const { messageId } = parseInput(ZMessageRef, input);
  return inWriteTx(db, async (w) => {
    const [removed] = await w.tx.$queryRaw<{ conversationId: string }[]>`
      DELETE FROM "SavedMessage" s USING "Message" m
      WHERE s."userId" = ${actor.userId}::uuid AND s."messageId" = ${messageId}::uuid AND m.id = s."messageId"
      RETURNING m."conversationId"::text AS "conversationId"`;
    if (!removed) return { messageId, isSaved: false, isChanged: false };
    await appendUserEvent(w, actor.userId, UserEventKind.SavedUpdated, {
      messageId,
      conversationId: removed.conversationId,
      isSaved: false,
    });
    return { messageId, isSaved: false, isChanged: true };
  });
}

/**
 * The actor's saved messages, newest save first, a page at a time (`nextCursor` null at the end):
 * only those they can read now and that are not deleted, each with its current text.
 */
export async function listSaved(
  db: TDb,
  actor: TActor,
  input: unknown,
): Promise<{ items: TSavedItem[]; nextCursor: string | null }> {
  const { cursor, limit } = parseInput(ZListSaved, input ?? {});
  const at = cursor ? CURSOR.exec(cursor) : null;
  const after = at ? { savedAt: new Date(at[1] ?? ""), messageId: (at[2] ?? "").toLowerCase() } : null;
  if (after && Number.isNaN(after.savedAt.getTime())) {
    throw new ParleyError("BAD_REQUEST", "Invalid input: cursor: must be a cursor from a previous page");
  }
  const rows = await db.$queryRawUnsafe<TSavedItem[]>(
    `SELECT ${LATER_MESSAGE_COLUMNS}, s."createdAt" AS "savedAt"
     FROM "SavedMessage" s
     ${laterMessageJoin('s."messageId"', "$1::uuid")}
     WHERE s."userId" = $1::uuid
       AND ($2::timestamp(3) IS NULL OR (s."createdAt", s."messageId") < ($2::timestamp(3), $3::uuid))
     ORDER BY s."createdAt" DESC, s."messageId" DESC
     LIMIT $4::int`,
    actor.userId,
    after?.savedAt ?? null,
    after?.messageId ?? null,
    limit + 1,
  );
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? cursorOf(last) : null };
}

/** `saved.ids` input: one conversation. */
export const ZSavedIdsInput = ZConversationRef;

/**
 * The ids of the actor's saved messages in one conversation they can read (the messages' saved
 * marks); NOT_FOUND for a conversation they cannot read, as for an unknown one.
 */
export async function savedIdsIn(db: TDb, actor: TActor, input: unknown): Promise<string[]> {
  const { conversationId } = parseInput(ZSavedIdsInput, input);
  requireRead(await loadAccess(db, actor, conversationId));
  const rows = await db.$queryRaw<{ messageId: string }[]>`
    SELECT s."messageId"::text AS "messageId" FROM "SavedMessage" s
    JOIN "Message" m ON m.id = s."messageId"
    WHERE s."userId" = ${actor.userId}::uuid AND m."conversationId" = ${conversationId}::uuid
      AND m."deletedAt" IS NULL`;
  return rows.map((r) => r.messageId);
}
