/**
 * The notifier's push half after a round has decided who gets what (notifier.ts): deliver the
 * PushNotice rows that moved (one notification per user and conversation, its text the newest
 * message and how many more), and clear the ones whose conversation the user has read since, on
 * every device (a `clear` push with the same topic and tag).
 *
 * A `held` row (decided while its user was online) is sent only once the engine's presence says
 * they are away or offline and it is younger than the notifier's horizon; a read clears it first.
 *
 * A row is claimed (`sentSeq = seq`) before it is sent, with SKIP LOCKED, so several processes
 * never send the same notice twice; a crash between claim and send loses that push (at most once:
 * a duplicate would buzz the phone twice, a lost one is still in the app and the e-mail).
 */
import type { TDb } from "@parley/db";
import type { TEngine } from "../engine/types.ts";
import type { TPushSender, TPushTarget } from "./push-sender.ts";
import { pushTopic } from "./push-sender.ts";
import { notificationTag, notificationText } from "./should-notify.ts";

/** What the service worker gets (JSON). `tag` is the same for every push of one conversation. */
export type TPushPayload =
  | {
      type: "message";
      tag: string;
      conversationId: string;
      seq: number;
      title: string;
      body: string;
      /** Unread notifying messages this notification stands for. */
      count: number;
      /** Where a click leads (same origin). */
      url: string;
    }
  /** A reminder came due while its user was away (reminders/fire.ts); its own tag and topic. */
  | { type: "reminder"; tag: string; reminderId: string; title: string; body: string; url: string }
  | { type: "clear"; tag: string; conversationId: string };

type Claimed = {
  userId: string;
  conversationId: string;
  seq: number;
  count: number;
  kind: string;
  channelName: string | null;
  senderName: string;
  body: string;
  attachmentCount: number;
  threadRootId: string | null;
  alsoInChannel: boolean;
};

/** What one delivery pass did. */
export type TPushDelivery = { notices: number; sent: number; gone: number; failed: number; cleared: number };

/** The push devices of each user. */
export async function subscriptionsOf(
  db: TDb,
  userIds: readonly string[],
): Promise<Map<string, TPushTarget[]>> {
  const rows = await db.pushSubscription.findMany({
    where: { userId: { in: [...new Set(userIds)] } },
    select: { userId: true, endpoint: true, p256dh: true, auth: true },
  });
  const byUser = new Map<string, TPushTarget[]>();
  for (const { userId, ...target } of rows) byUser.set(userId, [...(byUser.get(userId) ?? []), target]);
  return byUser;
}

/** Sends one payload to every target (the reminder's own topic, else the conversation's); drops gone ones. */
export async function sendToAll(
  db: TDb,
  send: TPushSender,
  targets: readonly TPushTarget[],
  payload: TPushPayload,
  tally: TPushDelivery,
): Promise<void> {
  const text = JSON.stringify(payload);
  await Promise.all(
    targets.map(async (target) => {
      const topic = pushTopic(payload.type === "reminder" ? payload.reminderId : payload.conversationId);
      const outcome = await send(target, text, topic);
      tally[outcome === "sent" ? "sent" : outcome === "gone" ? "gone" : "failed"] += 1;
      if (outcome === "gone") await db.pushSubscription.deleteMany({ where: { endpoint: target.endpoint } });
    }),
  );
}

/** Names for the mention tokens of `bodies`: user id → name, user group id → handle. */
export async function namesOf(
  db: Pick<TDb, "user" | "userGroup">,
  bodies: readonly string[],
): Promise<Map<string, string>> {
  const ids = new Set<string>();
  for (const body of bodies)
    for (const m of body.matchAll(/<@([0-9a-fA-F-]{36})>/g)) ids.add(m[1]!.toLowerCase());
  const groupIds = new Set<string>();
  for (const body of bodies)
    for (const m of body.matchAll(/<!subteam\^([0-9a-fA-F-]{36})>/g)) groupIds.add(m[1]!.toLowerCase());
  if (ids.size === 0 && groupIds.size === 0) return new Map();
  const users = ids.size
    ? await db.user.findMany({ where: { id: { in: [...ids] } }, select: { id: true, name: true } })
    : [];
  const groups = groupIds.size
    ? await db.userGroup.findMany({
        where: { id: { in: [...groupIds] } },
        select: { id: true, handle: true },
      })
    : [];
  return new Map([
    ...users.map((u) => [u.id, u.name] as const),
    ...groups.map((g) => [g.id, g.handle] as const),
  ]);
}

function messagePayload(row: Claimed, names: ReadonlyMap<string, string>): TPushPayload {
  const isChannel = row.kind === "public_channel" || row.kind === "private_channel";
  const text =
    notificationText(row.body, names) ||
    (row.attachmentCount === 1 ? "sent a file" : `sent ${row.attachmentCount} files`);
  const place = row.threadRootId && !row.alsoInChannel ? `thread=${row.threadRootId}` : `m=${row.seq}`;
  return {
    type: "message",
    tag: notificationTag(row.conversationId),
    conversationId: row.conversationId,
    seq: row.seq,
    title: isChannel ? `${row.senderName} in #${row.channelName ?? ""}` : row.senderName,
    body: row.count > 1 ? `${text} (+${row.count - 1} more)` : text,
    count: row.count,
    url: `/app/c/${row.conversationId}?${place}`,
  };
}

/** How held notices are judged (see the header); without `engine`, held notices wait. */
export type TDeliverOptions = {
  engine?: Pick<TEngine, "getPresence">;
  /** Held notices last updated before this are not sent (they still clear once read). */
  heldSince?: Date;
  limit?: number;
};

/** Users with a held notice to send who are no longer online anywhere. */
async function releasedUsers(db: TDb, options: TDeliverOptions): Promise<string[]> {
  if (!options.engine) return [];
  const held = await db.$queryRaw<{ userId: string }[]>`
    SELECT DISTINCT "userId"::text AS "userId" FROM "PushNotice"
    WHERE held AND seq > "sentSeq" AND "updatedAt" >= ${options.heldSince ?? new Date(0)}`;
  if (held.length === 0) return [];
  const presence = await options.engine.getPresence(held.map((h) => h.userId));
  return held.map((h) => h.userId).filter((id) => presence.get(id)?.status !== "online");
}

/** Sends the notices that moved since they were last sent (at most `limit`). */
export async function deliverPushNotices(
  db: TDb,
  send: TPushSender,
  options: TDeliverOptions = {},
): Promise<TPushDelivery> {
  const tally: TPushDelivery = { notices: 0, sent: 0, gone: 0, failed: 0, cleared: 0 };
  const released = await releasedUsers(db, options);
  const claimed = await db.$queryRaw<Claimed[]>`
    WITH due AS (
      SELECT "userId", "conversationId" FROM "PushNotice"
      WHERE seq > "sentSeq" AND (NOT held OR ("userId" = ANY(${released}::uuid[])
        AND "updatedAt" >= ${options.heldSince ?? new Date(0)}))
      ORDER BY "updatedAt" LIMIT ${options.limit ?? 200}::int FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE "PushNotice" p SET "sentSeq" = p.seq FROM due
      WHERE p."userId" = due."userId" AND p."conversationId" = due."conversationId"
      RETURNING p."userId", p."conversationId", p.seq, p.count
    )
    SELECT c."userId"::text AS "userId", c."conversationId"::text AS "conversationId", c.seq, c.count,
      v.kind::text AS kind, v.name AS "channelName", u.name AS "senderName", m.body,
      (SELECT count(*) FROM "Attachment" a WHERE a."messageId" = m.id)::int AS "attachmentCount",
      m."threadRootId"::text AS "threadRootId", m."alsoInChannel"
    FROM claimed c
    JOIN "Conversation" v ON v.id = c."conversationId"
    JOIN "Message" m ON m."conversationId" = c."conversationId" AND m.seq = c.seq
    JOIN "User" u ON u.id = m."senderId"`;
  if (claimed.length === 0) return tally;
  tally.notices = claimed.length;
  const [subscriptions, names] = await Promise.all([
    subscriptionsOf(
      db,
      claimed.map((c) => c.userId),
    ),
    namesOf(
      db,
      claimed.map((c) => c.body),
    ),
  ]);
  await Promise.all(
    claimed.map((row) =>
      sendToAll(db, send, subscriptions.get(row.userId) ?? [], messagePayload(row, names), tally),
    ),
  );
  return tally;
}

/**
 * Drops the notices the user has read past (on any device) or whose conversation they left, and
 * sends a `clear` for each one that had been pushed.
 */
export async function clearReadPushNotices(db: TDb, send: TPushSender): Promise<TPushDelivery> {
  const tally: TPushDelivery = { notices: 0, sent: 0, gone: 0, failed: 0, cleared: 0 };
  const cleared = await db.$queryRaw<{ userId: string; conversationId: string; sentSeq: number }[]>`
    DELETE FROM "PushNotice" p
    WHERE NOT EXISTS (
      SELECT 1 FROM "Membership" m
      WHERE m."conversationId" = p."conversationId" AND m."userId" = p."userId" AND m."readSeq" < p.seq
    )
    RETURNING p."userId"::text AS "userId", p."conversationId"::text AS "conversationId", p."sentSeq"`;
  const pushed = cleared.filter((c) => c.sentSeq > 0);
  tally.cleared = pushed.length;
  if (pushed.length === 0) return tally;
  const subscriptions = await subscriptionsOf(
    db,
    pushed.map((c) => c.userId),
  );
  await Promise.all(
    pushed.map(({ userId, conversationId }) =>
      sendToAll(
        db,
        send,
        subscriptions.get(userId) ?? [],
        { type: "clear", tag: notificationTag(conversationId), conversationId },
        tally,
      ),
    ),
  );
  return tally;
}
