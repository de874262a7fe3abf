/**
 * Reminders on messages ("Remind me about this"): a `Reminder` row (user, message, dueAt) that the
 * reminder job (fire.ts) fires once when due, appending `reminder.fired` to the user's log.
 *
 * - Setting one needs the message readable now and not deleted (NOT_FOUND "Message not found"
 *   otherwise, as for an unknown id). A user has at most one pending reminder per message: setting
 *   another moves its time. At most `MAX_PENDING_REMINDERS` pending per user.
 * - Cancelling is the owner's only (someone else's id answers NOT_FOUND "Reminder not found", like
 *   an unknown one): a pending reminder then never fires; a fired one leaves the list.
 * - Every change appends `reminder.updated` {reminderId, messageId, dueAt | null} to the user's log.
 *
 * Locks, in this order only: the user's reminder lock (a transaction-scoped advisory lock, which
 * serialises one user's sets so two cannot both insert), Reminder rows, then the User row (the
 * user log's counter). The job takes Reminder rows, then User rows: no cycle.
 */
import type { TDb } from "@parley/db";
import { UserEventKind } from "@parley/protocol";
import { z } from "zod";
import type { TActor } from "../actor.ts";
import { ParleyError, parseInput } from "../errors.ts";
import {
  LATER_MESSAGE_COLUMNS,
  laterMessageJoin,
  requireReadableMessage,
  type TLaterMessage,
} from "../saved/later-message.ts";
import { ZId } from "../schemas.ts";
import { appendUserEvent, inWriteTx } from "../tx.ts";
import { resolveDueAt, ZReminderWhen } from "./due.ts";

/** Pending reminders one user may have at once. */
export const MAX_PENDING_REMINDERS = 500;
/** Fired reminders the list shows (newest first); older ones stay until removed. */
export const MAX_FIRED_LISTED = 50;

/** A reminder as its owner sees it; `message` is null when they can no longer read it or it was deleted. */
export type TReminderDto = {
  id: string;
  messageId: string;
  dueAt: Date;
  firedAt: Date | null;
  createdAt: Date;
  message: TLaterMessage | null;
};

/** `reminders.create` input. */
export const ZCreateReminder = z.object({ messageId: ZId, when: ZReminderWhen });
/** `reminders.cancel` input. */
export const ZReminderRef = z.object({ reminderId: ZId });

/**
 * Sets a reminder on a message the actor can read (see the header); `now` is for tests.
 * Returns the reminder as the list shows it.
 */
export async function createReminder(
  db: TDb,
  actor: TActor,
  input: unknown,
  now: Date = new Date(),
): Promise<TReminderDto> {
  const { messageId, when } = parseInput(ZCreateReminder, input);
  const id = await inWriteTx(db, async (w) => {
    await requireReadableMessage(w.tx, actor, messageId);
    const dueAt = await resolveDueAt(w.tx, actor.userId, when, now);
    await w.tx
      .$executeRaw`SELECT pg_advisory_xact_lock(hashtext('parley.reminders:' || ${actor.userId}::text))`;
    const [moved] = await w.tx.$queryRaw<{ id: string }[]>`
      UPDATE "Reminder" SET "dueAt" = ${dueAt}::timestamp(3)
      WHERE "userId" = ${actor.userId}::uuid AND "messageId" = ${messageId}::uuid
        AND "firedAt" IS NULL AND "cancelledAt" IS NULL
      RETURNING id::text AS id`;
    let reminderId = moved?.id;
    if (!reminderId) {
      const pending = await w.tx.reminder.count({
        where: { userId: actor.userId, firedAt: null, cancelledAt: null },
      });
      if (pending >= MAX_PENDING_REMINDERS) {
        throw new ParleyError(
          "FORBIDDEN",
          "You have {count} reminders waiting; cancel some before setting more",
          { params: { count: MAX_PENDING_REMINDERS } },
        );
      }
      const created = await w.tx.reminder.create({
        data: { userId: actor.userId, messageId, dueAt, createdAt: now },
        select: { id: true },
      });
      reminderId = created.id;
    }
    await appendUserEvent(w, actor.userId, UserEventKind.ReminderUpdated, { reminderId, messageId, dueAt });
    return reminderId;
  });
  const [dto] = await readReminders(db, actor.userId, "r.id = $2::uuid", [id]);
  if (!dto) throw new ParleyError("NOT_FOUND", "Reminder not found");
  return dto;
}

/**
 * Cancels one of the actor's reminders: a pending one never fires, a fired one leaves the list.
 * Cancelling it again is a no-op; another user's id answers like an unknown one.
 */
export async function cancelReminder(
  db: TDb,
  actor: TActor,
  input: unknown,
): Promise<{ reminderId: string; isChanged: boolean }> {
  const { reminderId } = parseInput(ZReminderRef, input);
  return inWriteTx(db, async (w) => {
    const [cancelled] = await w.tx.$queryRaw<{ messageId: string }[]>`
      UPDATE "Reminder" SET "cancelledAt" = ${new Date()}::timestamp(3)
      WHERE id = ${reminderId}::uuid AND "userId" = ${actor.userId}::uuid AND "cancelledAt" IS NULL
      RETURNING "messageId"::text AS "messageId"`;
    if (!cancelled) {
      const mine = await w.tx.reminder.count({ where: { id: reminderId, userId: actor.userId } });
      if (mine === 0) throw new ParleyError("NOT_FOUND", "Reminder not found");
      return { reminderId, isChanged: false };
    }
    await appendUserEvent(w, actor.userId, UserEventKind.ReminderUpdated, {
      reminderId,
      messageId: cancelled.messageId,
      dueAt: null,
    });
    return { reminderId, isChanged: true };
  });
}

/** The actor's reminders: pending ones soonest first, and the newest fired ones not removed yet. */
export async function listReminders(
  db: TDb,
  actor: TActor,
): Promise<{ pending: TReminderDto[]; fired: TReminderDto[] }> {
  const [pending, fired] = await Promise.all([
    readReminders(
      db,
      actor.userId,
      `r."firedAt" IS NULL ORDER BY r."dueAt", r.id LIMIT ${MAX_PENDING_REMINDERS}`,
    ),
    readReminders(
      db,
      actor.userId,
      `r."firedAt" IS NOT NULL ORDER BY r."firedAt" DESC, r.id LIMIT ${MAX_FIRED_LISTED}`,
    ),
  ]);
  return { pending, fired };
}

type TReminderRow = Omit<TLaterMessage, "messageId" | "createdAt"> & {
  id: string;
  reminderMessageId: string;
  dueAt: Date;
  firedAt: Date | null;
  reminderCreatedAt: Date;
  /** Null when the message is not readable now (or deleted): then every message column is null. */
  messageId: string | null;
  createdAt: Date;
};

/** Reminders of `userId` not cancelled, matching `where` (SQL on `r`, parameters from $2), with their messages. */
async function readReminders(
  db: TDb,
  userId: string,
  where: string,
  params: unknown[] = [],
): Promise<TReminderDto[]> {
  const rows = await db.$queryRawUnsafe<TReminderRow[]>(
    `SELECT r.id::text AS id, r."messageId"::text AS "reminderMessageId", r."dueAt", r."firedAt",
       r."createdAt" AS "reminderCreatedAt", v.*
     FROM "Reminder" r
     LEFT JOIN LATERAL (
       SELECT ${LATER_MESSAGE_COLUMNS} FROM (SELECT 1) one ${laterMessageJoin('r."messageId"', "$1::uuid")}
     ) v ON true
     WHERE r."userId" = $1::uuid AND r."cancelledAt" IS NULL AND ${where}`,
    userId,
    ...params,
  );
  return rows.map(({ id, reminderMessageId, dueAt, firedAt, reminderCreatedAt, messageId, ...message }) => ({
    id,
    messageId: reminderMessageId,
    dueAt,
    firedAt,
    createdAt: reminderCreatedAt,
    message: messageId === null ? null : { messageId, ...message },
  }));
}
