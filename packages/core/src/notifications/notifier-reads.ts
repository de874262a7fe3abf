/**
 * The notifier's one read of who might be notified by a round's messages: the members of their
 * conversations with their preferences (global and per conversation), read cursor, whether they
 * have a push device, in one query. Members who cannot be notified by any message of the round
 * are left out in SQL (muted, deactivated, no device and no e-mail, or — in channels — neither
 * mentioned, nor at level `all`, nor reached by a broadcast, nor keeping keywords), so a busy
 * 10,000-member channel does not load 10,000 rows per message.
 */
import type { TTx } from "../tx.ts";
import type { TConversationNotifyPrefs, TNotificationPrefs } from "./should-notify.ts";

/** A member who might be notified, with everything `shouldNotify` needs. */
export type TRecipientRow = {
  conversationId: string;
  userId: string;
  readSeq: number;
  hasPush: boolean;
  emailEnabled: boolean;
  prefs: TNotificationPrefs;
  conversation: Omit<TConversationNotifyPrefs, "kind">;
};

type Row = {
  conversationId: string;
  userId: string;
  readSeq: number;
  hasPush: boolean;
  emailEnabled: boolean | null;
  notifyLevel: TConversationNotifyPrefs["level"];
  ignoreBroadcasts: boolean;
  level: TNotificationPrefs["level"] | null;
  keywords: string[] | null;
  dndUntil: Date | null;
  dndStartMinute: number | null;
  dndEndMinute: number | null;
  timeZone: string | null;
};

/** Loads the possible recipients of `messages` (see the header). */
export async function loadNotifyPrefsRows(
  tx: TTx,
  messages: readonly { conversationId: string; mentionedUserIds: readonly string[]; mentionsAll: boolean }[],
  options: { withEmail: boolean },
): Promise<TRecipientRow[]> {
  const conversationIds = [...new Set(messages.map((m) => m.conversationId))];
  const mentioned = [...new Set(messages.flatMap((m) => m.mentionedUserIds))];
  const broadcastIn = [...new Set(messages.filter((m) => m.mentionsAll).map((m) => m.conversationId))];
  const rows = await tx.$queryRaw<Row[]>`
    SELECT mb."conversationId"::text AS "conversationId", mb."userId"::text AS "userId", mb."readSeq",
      push.ok AS "hasPush", ns."emailEnabled", mb."notifyLevel"::text AS "notifyLevel", mb."ignoreBroadcasts",
      ns.level::text AS level, ns.keywords, ns."dndUntil", ns."dndStartMinute", ns."dndEndMinute", ns."timeZone"
    FROM "Membership" mb
    JOIN "Conversation" c ON c.id = mb."conversationId"
    -- Bots are never notified: nobody reads their inbox (an address no mail reaches).
    JOIN "User" u ON u.id = mb."userId" AND u."deactivatedAt" IS NULL AND NOT u."isBot"
    LEFT JOIN "NotificationSettings" ns ON ns."userId" = mb."userId"
    CROSS JOIN LATERAL (
      SELECT EXISTS (SELECT 1 FROM "PushSubscription" ps WHERE ps."userId" = mb."userId") AS ok
    ) push
    WHERE mb."conversationId" = ANY(${conversationIds}::uuid[]) AND NOT mb.muted
      AND (push.ok OR (${options.withEmail} AND COALESCE(ns."emailEnabled", true)))
      AND (c.kind IN ('dm', 'group_dm') OR mb."notifyLevel" = 'all' OR mb."userId" = ANY(${mentioned}::uuid[])
        OR (mb."conversationId" = ANY(${broadcastIn}::uuid[]) AND NOT mb."ignoreBroadcasts")
        OR cardinality(ns.keywords) > 0)`;
  return rows.map((r) => ({
    conversationId: r.conversationId,
    userId: r.userId,
    readSeq: r.readSeq,
    hasPush: r.hasPush,
    emailEnabled: r.emailEnabled ?? true,
    prefs: {
      userId: r.userId,
      level: r.level ?? "dms_and_mentions",
      keywords: r.keywords ?? [],
      dndUntil: r.dndUntil,
      dndStartMinute: r.dndStartMinute,
      dndEndMinute: r.dndEndMinute,
      timeZone: r.timeZone ?? "UTC",
    },
    conversation: { level: r.notifyLevel, muted: false, ignoreBroadcasts: r.ignoreBroadcasts },
  }));
}
