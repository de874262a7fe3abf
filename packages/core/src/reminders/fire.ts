/**
 * The reminder job: fires each due reminder exactly once, across processes and restarts.
 *
 * One round is ONE transaction: under `pg_try_advisory_xact_lock('parley.reminders')` (rounds of
 * several processes never overlap; one that misses the lock does nothing), it claims up to `limit`
 * due reminders (`firedAt` and `cancelledAt` null, `dueAt` ≤ now; `FOR UPDATE SKIP LOCKED`, and the
 * UPDATE re-checks both under the row lock, so a reminder cancelled meanwhile is never fired), sets
 * their `firedAt` and appends `reminder.fired` to each owner's log (owners in id order, as
 * `appendUserEvents` locks them). The event and `firedAt` commit together: a crash before commit
 * fires nothing and the next round fires it; after commit it is never fired again.
 *
 * Unreadable reminders (the user left the conversation or was removed, or the message was
 * deleted) still fire, with `message: null`: the user asked to be reminded at that time and is,
 * but no text, sender or place of a message they may no longer read is sent. The list shows them
 * as "no longer available". Messages removed outright (retention, a deleted channel) take their
 * reminders with them (the foreign key cascades).
 *
 * After commit, a fired reminder with its message is also pushed (web push, notifications/) to
 * owners the engine's presence says are not online, as the notifier does for DMs.
 */
import type { TDb } from "@parley/db";
import { type TUserEventPayload, UserEventKind } from "@parley/protocol";
import { startBackgroundWorker } from "../background-worker.ts";
import type { TEngine } from "../engine/types.ts";
import { namesOf, sendToAll, subscriptionsOf, type TPushDelivery } from "../notifications/push-delivery.ts";
import type { TPushSender } from "../notifications/push-sender.ts";
import { notificationText } from "../notifications/should-notify.ts";
import { LATER_MESSAGE_COLUMNS, laterMessageJoin, type TLaterMessage } from "../saved/later-message.ts";
import { appendUserEvent, inWriteTx } from "../tx.ts";

/** The background worker's name (`wakeBackgroundWorker`: a new reminder due soon). */
export const REMINDER_WORKER = "reminders";

/** One fired reminder: its owner and the `reminder.fired` payload they got. */
export type TFiredReminder = { userId: string; payload: TUserEventPayload<"reminder.fired"> };

/** What one round did; `isLocked` false: another process's round held the lock, this one did nothing. */
export type TFireRound = { fired: TFiredReminder[]; isLocked: boolean };

type TClaimed = { id: string; userId: string; messageId: string; dueAt: Date };
type TClaimedMessage = TLaterMessage & { reminderId: string };

/** Whether any reminder is due at `now` (one index probe: rounds run only when one is). */
export async function hasDueReminders(db: TDb, now: Date = new Date()): Promise<boolean> {
  const [row] = await db.$queryRaw<{ due: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM "Reminder" WHERE "firedAt" IS NULL AND "cancelledAt" IS NULL
      AND "dueAt" <= ${now}::timestamp(3)) AS due`;
  return row?.due === true;
}

/** One round (see the header): fires at most `limit` due reminders. */
export async function fireDueReminders(
  db: TDb,
  options: { now?: Date; limit?: number } = {},
): Promise<TFireRound> {
  const now = options.now ?? new Date();
  return inWriteTx(db, async (w) => {
    const [lock] = await w.tx.$queryRaw<{ ok: boolean }[]>`
      SELECT pg_try_advisory_xact_lock(hashtext('parley.reminders')) AS ok`;
    if (!lock?.ok) return { fired: [], isLocked: false };
    const claimed = await w.tx.$queryRaw<TClaimed[]>`
      WITH due AS (
        SELECT id FROM "Reminder"
        WHERE "firedAt" IS NULL AND "cancelledAt" IS NULL AND "dueAt" <= ${now}::timestamp(3)
        ORDER BY "dueAt" LIMIT ${options.limit ?? 200}::int FOR UPDATE SKIP LOCKED
      )
      UPDATE "Reminder" r SET "firedAt" = ${now}::timestamp(3) FROM due
      WHERE r.id = due.id AND r."firedAt" IS NULL AND r."cancelledAt" IS NULL
      RETURNING r.id::text AS id, r."userId"::text AS "userId", r."messageId"::text AS "messageId", r."dueAt"`;
    if (claimed.length === 0) return { fired: [], isLocked: true };
    // Each message as its owner may see it now (none when they cannot, or it was deleted).
    const messages = await w.tx.$queryRawUnsafe<TClaimedMessage[]>(
      `SELECT x."reminderId"::text AS "reminderId", ${LATER_MESSAGE_COLUMNS}
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS x("reminderId", "userId", "messageId")
       ${laterMessageJoin('x."messageId"', 'x."userId"')}`,
      claimed.map((c) => c.id),
      claimed.map((c) => c.userId),
      claimed.map((c) => c.messageId),
    );
    const byReminder = new Map(messages.map((m) => [m.reminderId, m]));
    const names = await namesOf(
      w.tx,
      messages.map((m) => m.body),
    );
    const fired: TFiredReminder[] = claimed
      .sort((a, b) => a.userId.localeCompare(b.userId) || a.dueAt.getTime() - b.dueAt.getTime())
      .map((c) => {
        const m = byReminder.get(c.id);
        return {
          userId: c.userId,
          payload: {
            reminderId: c.id,
            messageId: c.messageId,
            dueAt: c.dueAt,
            message: m
              ? {
                  conversationId: m.conversationId,
                  seq: m.seq,
                  threadRootId: m.threadRootId,
                  senderName: m.senderName,
                  excerpt: excerptOf(m, names),
                }
              : null,
          },
        };
      });
    for (const f of fired) await appendUserEvent(w, f.userId, UserEventKind.ReminderFired, f.payload);
    return { fired, isLocked: true };
  });
}

function excerptOf(m: TLaterMessage, names: ReadonlyMap<string, string>): string {
  const text = notificationText(m.body, names);
  if (text) return text;
  return m.attachmentCount === 1 ? "a file" : m.attachmentCount > 1 ? `${m.attachmentCount} files` : "";
}

/** Where a fired reminder's link leads: a reply in its thread, anything else at its place. */
export function reminderUrl(message: NonNullable<TFiredReminder["payload"]["message"]>): string {
  return message.threadRootId
    ? `/app/c/${message.conversationId}?thread=${message.threadRootId}&reply=${message.seq}`
    : `/app/c/${message.conversationId}?m=${message.seq}`;
}

/** Pushes fired reminders (with their message) to owners who are not online anywhere. */
export async function pushFiredReminders(
  db: TDb,
  send: TPushSender,
  engine: Pick<TEngine, "getPresence">,
  fired: readonly TFiredReminder[],
): Promise<TPushDelivery> {
  const tally: TPushDelivery = { notices: 0, sent: 0, gone: 0, failed: 0, cleared: 0 };
  const withText = fired.filter((f) => f.payload.message !== null);
  if (withText.length === 0) return tally;
  const presence = await engine.getPresence([...new Set(withText.map((f) => f.userId))]);
  const away = withText.filter((f) => presence.get(f.userId)?.status !== "online");
  if (away.length === 0) return tally;
  const subscriptions = await subscriptionsOf(
    db,
    away.map((f) => f.userId),
  );
  tally.notices = away.length;
  await Promise.all(
    away.map(({ userId, payload }) => {
      const message = payload.message;
      if (!message) return Promise.resolve();
      return sendToAll(
        db,
        send,
        subscriptions.get(userId) ?? [],
        {
          type: "reminder",
          tag: `parley:reminder:${payload.reminderId}`,
          reminderId: payload.reminderId,
          title: `Reminder: ${message.senderName}`,
          body: message.excerpt,
          url: reminderUrl(message),
        },
        tally,
      );
    }),
  );
  return tally;
}

/** What the reminder job needs besides the database. */
export type TReminderJobDeps = {
  /** Presence, to push only to owners away from every device; without it (or `push`) nothing is pushed. */
  engine?: Pick<TEngine, "getPresence">;
  push?: TPushSender | null;
  /** Between looks for due reminders (default 1 s: reminders fire within about a second). */
  pollMs?: number;
  onError?: (err: unknown) => void;
  onFired?: (fired: readonly TFiredReminder[]) => void;
};

/**
 * Starts the job in this process (apps/web/server.ts): every `pollMs` one index probe, and when
 * something is due, rounds until none is (see the header). Returns the stop function.
 */
export function startReminderJob(db: TDb, deps: TReminderJobDeps = {}): () => Promise<void> {
  return startBackgroundWorker(
    REMINDER_WORKER,
    async (isStopping) => {
      while (!isStopping() && (await hasDueReminders(db))) {
        const round = await fireDueReminders(db);
        if (!round.isLocked || round.fired.length === 0) return;
        deps.onFired?.(round.fired);
        if (deps.push && deps.engine) await pushFiredReminders(db, deps.push, deps.engine, round.fired);
      }
    },
    { pollMs: deps.pollMs ?? 1_000, ...(deps.onError ? { onError: deps.onError } : {}) },
  );
}
