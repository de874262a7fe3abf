/**
 * The notifier: follows each conversation's Event log from its own cursor (NotifierCursor, like
 * the search indexer's SearchCursor), off the send path, and decides per new message and member
 * whether it notifies (`shouldNotify`, the member's preferences at that moment) and how:
 *
 * - web push, when the member has a subscribed device: one PushNotice per user and conversation,
 *   collapsed and updated (push-delivery.ts sends it and clears it once read). It is sent while
 *   the member is not online — no live socket, or every socket idle (the engine's merged presence
 *   is `away`/`offline`); a notice decided while they are online is `held` and sent once they
 *   leave with it still unread (closing the tab on an unread DM, or going idle, still notifies —
 *   and a socket closing as the message is sent cannot lose the push);
 * - e-mail, for DMs, mentions of them and keywords (not @channel/@here/@everyone) when SMTP is
 *   configured and they did not unsubscribe: a PendingEmail due after the delay, sent only if
 *   still unread then, batched per user (email.ts).
 *
 * A round's decisions and the cursors it moves commit in ONE transaction under a
 * transaction-scoped advisory lock (several processes may run the notifier; one round at a
 * time), so a crash repeats or loses nothing of them. Sending happens after commit. Messages
 * older than `maxAgeMs` when the notifier reaches them (it was down) are not pushed.
 */
import type { TDb } from "@parley/db";
import type { TEngine } from "../engine/types.ts";
import { followLog, inScopeSql, type TFollowScope } from "../log-follower.ts";
import { loadNotifyPrefsRows, type TRecipientRow } from "./notifier-reads.ts";
import { clearReadPushNotices, deliverPushNotices } from "./push-delivery.ts";
import type { TPushSender } from "./push-sender.ts";
import { shouldNotify, type TNotificationMessage, type TNotifyReason } from "./should-notify.ts";

/** What a notifier round needs besides the database. */
export type TNotifierDeps = {
  /** Presence (who is online); only `getPresence` is used. */
  engine: Pick<TEngine, "getPresence">;
  /** Sends pushes; null: no push is decided or sent. */
  push: TPushSender | null;
  /** Minutes a DM or mention must stay unread before it is e-mailed; null: no e-mail (SMTP not configured). */
  emailDelayMinutes: number | null;
  /** Sends the due e-mails (email.ts); absent: none are sent. */
  sendDueEmails?: () => Promise<unknown>;
  /** Oldest message still pushed (default one hour). */
  maxAgeMs?: number;
  now?: () => Date;
};

/** Most conversations and messages per conversation one round reads. */
export type TNotifyRoundLimits = { conversations: number; messagesPerConversation: number };

const DEFAULT_LIMITS: TNotifyRoundLimits = { conversations: 200, messagesPerConversation: 500 };

/** What one round decided; `locked` false: another process's round held the lock, this one did nothing. */
export type TNotifyRound = {
  conversations: number;
  messages: number;
  pushNotices: number;
  emails: number;
  locked: boolean;
};

type MessageRow = {
  conversationId: string;
  kind: "public_channel" | "private_channel" | "dm" | "group_dm";
  upto: number;
  messageId: string | null;
  seq: number | null;
  senderId: string;
  body: string;
  mentionedUserIds: string[];
  mentionsAll: boolean;
  createdAt: Date;
  attachmentCount: number;
};

const EMAIL_REASONS: ReadonlySet<TNotifyReason> = new Set(["dm", "mention", "keyword"]);

/**
 * One round of deciding (see the header). Zero conversations means it is caught up (or another
 * process holds the round's lock).
 */
export async function notifyRound(
  db: TDb,
  deps: TNotifierDeps,
  limits: Partial<TNotifyRoundLimits> = {},
  scope: TFollowScope = null,
): Promise<TNotifyRound> {
  const { conversations, messagesPerConversation } = { ...DEFAULT_LIMITS, ...limits };
  const now = deps.now?.() ?? new Date();
  const oldest = new Date(now.getTime() - (deps.maxAgeMs ?? 3_600_000));
  return db.$transaction(
    async (tx) => {
      const [lock] = await tx.$queryRaw<{ ok: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(hashtext('parley.notifier')) AS ok`;
      if (!lock?.ok) return { conversations: 0, messages: 0, pushNotices: 0, emails: 0, locked: false };
      // A scoped round (log-follower.ts) looks only at the conversations this process wrote.
      const inScope = inScopeSql(scope);
      const rows = await tx.$queryRaw<MessageRow[]>`
        WITH picked AS MATERIALIZED (
          SELECT c.id, c.kind, COALESCE(nc.seq, 0) AS after,
            LEAST(c."lastSeq", COALESCE(nc.seq, 0) + ${messagesPerConversation}::int) AS upto
          FROM "Conversation" c LEFT JOIN "NotifierCursor" nc ON nc."conversationId" = c.id
          WHERE ${inScope} AND c."lastSeq" > COALESCE(nc.seq, 0)
          ORDER BY c.id LIMIT ${conversations}::int
        )
        SELECT p.id::text AS "conversationId", p.kind::text AS kind, p.upto, m.id::text AS "messageId", m.seq,
          m."senderId"::text AS "senderId", m.body, m."mentionedUserIds"::text[] AS "mentionedUserIds",
          m."mentionsAll", m."createdAt",
          (SELECT count(*) FROM "Attachment" a WHERE a."messageId" = m.id)::int AS "attachmentCount"
        FROM picked p
        -- Each conversation's range by its (conversationId, seq) index: as a plain join the planner
        -- merged it with a sequential scan of the whole Message table (before Message was
        -- analyzed), every round; the ORDER BY keeps the LATERAL from being flattened.
        LEFT JOIN LATERAL (
          SELECT x.id, x.seq, x."senderId", x.body, x."mentionedUserIds", x."mentionsAll", x."createdAt"
          FROM "Message" x
          WHERE x."conversationId" = p.id AND x.seq > p.after AND x.seq <= p.upto AND x."deletedAt" IS NULL
          ORDER BY x.seq
        ) m ON true
        ORDER BY p.id, m.seq`;
      const cursors = new Map<string, number>();
      const messages: (MessageRow & { messageId: string; seq: number })[] = [];
      for (const row of rows) {
        cursors.set(row.conversationId, row.upto);
        if (row.messageId !== null && row.seq !== null) messages.push(row as (typeof messages)[number]);
      }
      if (cursors.size === 0)
        return { conversations: 0, messages: 0, pushNotices: 0, emails: 0, locked: true };

      const recipients =
        messages.length === 0
          ? []
          : await loadNotifyPrefsRows(tx, messages, { withEmail: deps.emailDelayMinutes !== null });
      const byConversation = new Map<string, TRecipientRow[]>();
      for (const r of recipients) {
        byConversation.set(r.conversationId, [...(byConversation.get(r.conversationId) ?? []), r]);
      }

      const pushWanted: { userId: string; conversationId: string; seq: number }[] = [];
      const emails: {
        userId: string;
        messageId: string;
        conversationId: string;
        seq: number;
        dueAt: Date;
      }[] = [];
      for (const m of messages) {
        const message: TNotificationMessage = {
          senderId: m.senderId,
          body: m.body,
          mentionedUserIds: m.mentionedUserIds,
          mentionsAll: m.mentionsAll,
          attachmentCount: m.attachmentCount,
        };
        for (const r of byConversation.get(m.conversationId) ?? []) {
          if (r.readSeq >= m.seq) continue;
          const reason = shouldNotify(r.prefs, { ...r.conversation, kind: m.kind }, message, now);
          if (!reason) continue;
          if (deps.push && r.hasPush && m.createdAt > oldest) {
            pushWanted.push({ userId: r.userId, conversationId: m.conversationId, seq: m.seq });
          }
          if (deps.emailDelayMinutes !== null && r.emailEnabled && EMAIL_REASONS.has(reason)) {
            const dueAt = new Date(m.createdAt.getTime() + deps.emailDelayMinutes * 60_000);
            emails.push({
              userId: r.userId,
              messageId: m.messageId,
              conversationId: m.conversationId,
              seq: m.seq,
              dueAt,
            });
          }
        }
      }

      // Pushed at once to members away from every device; held for members online now (sent
      // by delivery once they are away or offline, if still unread then).
      const presence = pushWanted.length
        ? await deps.engine.getPresence([...new Set(pushWanted.map((p) => p.userId))])
        : new Map();
      const notices = new Map<
        string,
        { userId: string; conversationId: string; seq: number; count: number; held: boolean }
      >();
      for (const p of pushWanted) {
        const key = `${p.userId}:${p.conversationId}`;
        const notice = notices.get(key) ?? { ...p, count: 0, held: false };
        notice.seq = Math.max(notice.seq, p.seq);
        notice.count += 1;
        notice.held = presence.get(p.userId)?.status === "online";
        notices.set(key, notice);
      }
      const list = [...notices.values()];
      if (list.length > 0) {
        await tx.$executeRaw`
          INSERT INTO "PushNotice" ("userId", "conversationId", seq, count, "sentSeq", held, "updatedAt")
          SELECT u, c, s, n, 0, h, ${now} FROM unnest(${list.map((n) => n.userId)}::uuid[],
            ${list.map((n) => n.conversationId)}::uuid[], ${list.map((n) => n.seq)}::int[],
            ${list.map((n) => n.count)}::int[], ${list.map((n) => n.held)}::boolean[]) AS x(u, c, s, n, h)
          ON CONFLICT ("userId", "conversationId") DO UPDATE SET seq = GREATEST("PushNotice".seq, EXCLUDED.seq),
            count = "PushNotice".count + EXCLUDED.count, held = EXCLUDED.held,
            "updatedAt" = EXCLUDED."updatedAt"`;
      }
      if (emails.length > 0) {
        await tx.$executeRaw`
          INSERT INTO "PendingEmail" ("userId", "messageId", "conversationId", seq, "dueAt")
          SELECT * FROM unnest(${emails.map((e) => e.userId)}::uuid[], ${emails.map((e) => e.messageId)}::uuid[],
            ${emails.map((e) => e.conversationId)}::uuid[], ${emails.map((e) => e.seq)}::int[],
            ${emails.map((e) => e.dueAt)}::timestamp(3)[])
          ON CONFLICT DO NOTHING`;
      }
      const ids = [...cursors.keys()];
      await tx.$executeRaw`
        INSERT INTO "NotifierCursor" ("conversationId", seq)
        SELECT * FROM unnest(${ids}::uuid[], ${ids.map((id) => cursors.get(id)!)}::int[])
        ON CONFLICT ("conversationId") DO UPDATE SET seq = EXCLUDED.seq`;
      return {
        conversations: cursors.size,
        messages: messages.length,
        pushNotices: list.length,
        emails: emails.length,
        locked: true,
      };
    },
    { timeout: 30_000, maxWait: 10_000 },
  );
}

/** One full pass: decide until caught up, clear what was read, send what is due. */
export async function notifyPass(
  db: TDb,
  deps: TNotifierDeps,
  scope: TFollowScope = null,
): Promise<{ decided: number; locked: boolean }> {
  let decided = 0;
  let locked = true;
  for (;;) {
    const round = await notifyRound(db, deps, {}, scope);
    decided += round.messages;
    locked = round.locked;
    if (round.conversations === 0) break;
  }
  if (deps.push) {
    await clearReadPushNotices(db, deps.push);
    const oldest = new Date((deps.now?.() ?? new Date()).getTime() - (deps.maxAgeMs ?? 3_600_000));
    await deliverPushNotices(db, deps.push, { engine: deps.engine, heldSince: oldest });
  }
  await deps.sendDueEmails?.();
  return { decided, locked };
}

/**
 * Runs passes in the background (`followLog`, log-follower.ts): at once after this process's own
 * writes, and every `intervalMs` (default 1 s) for sends through other processes (the gateways)
 * and for what is due by time (e-mails, DND ending). Started by apps/web/server.ts beside the
 * search indexer. Returns a stop function that waits for the running pass.
 */
export function startNotifier(
  db: TDb,
  deps: TNotifierDeps,
  options: { intervalMs?: number; onError?: (err: unknown) => void } = {},
): () => Promise<void> {
  return followLog(
    async (scope) => {
      const pass = await notifyPass(db, deps, scope);
      return { hasMore: false, isLocked: pass.locked };
    },
    { pollMs: options.intervalMs ?? 1_000, ...(options.onError ? { onError: options.onError } : {}) },
  );
}
