/**
 * Notification preferences: the user's global settings (NotificationSettings, one row per user,
 * absent = every default) and their settings in one conversation (Membership: `muted` is the
 * "nothing" level, `notifyLevel` the rest, `ignoreBroadcasts`). Every service acts on the actor's
 * own settings only; a conversation's settings need membership. A change appends a user event so
 * the user's other devices refresh (`preferences.updated` {notifications: true} or
 * `membership.updated` with the conversation's new settings).
 */
import type { TDb } from "@parley/db";
import { UserEventKind, zLine } from "@parley/protocol";
import { z } from "zod";
import { isChannelKind, loadAccess, requireMember } from "../access.ts";
import type { TActor } from "../actor.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { ZId } from "../schemas.ts";
import { appendUserEvent, inWriteTx } from "../tx.ts";
import { NOTIFY_LEVELS, type TNotificationPrefs } from "./should-notify.ts";

/** Most keywords a user may keep, and the longest one. */
export const MAX_NOTIFY_KEYWORDS = 25;
export const MAX_NOTIFY_KEYWORD_LENGTH = 50;
/** Longest "do not disturb for N hours". */
export const MAX_DND_HOURS = 7 * 24;

/** True when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const ZMinute = z
  .number()
  .int()
  .min(0)
  .max(24 * 60 - 1)
  .nullable();

/** A change to the global settings; absent fields stay as they are. */
export const ZUpdateNotificationSettings = z
  .object({
    level: z.enum(NOTIFY_LEVELS).optional(),
    keywords: z
      .array(
        zLine()
          .trim()
          .toLowerCase()
          .min(1, errorTemplate("a keyword may not be empty"))
          .max(MAX_NOTIFY_KEYWORD_LENGTH, `a keyword is at most ${MAX_NOTIFY_KEYWORD_LENGTH} characters`),
      )
      .max(MAX_NOTIFY_KEYWORDS, `at most ${MAX_NOTIFY_KEYWORDS} keywords`)
      .transform((words) => [...new Set(words)])
      .optional(),
    /** The daily window: both minutes, or both null for none. */
    dndSchedule: z.object({ startMinute: ZMinute, endMinute: ZMinute }).optional(),
    timeZone: zLine()
      .max(64)
      .refine(isTimeZone, errorTemplate("must be an IANA time zone like Europe/Berlin"))
      .optional(),
    emailEnabled: z.boolean().optional(),
  })
  .strict()
  .refine(
    (v) => !v.dndSchedule || (v.dndSchedule.startMinute === null) === (v.dndSchedule.endMinute === null),
    {
      message: errorTemplate("give both start and end of the daily window, or neither"),
      path: ["dndSchedule"],
    },
  );
export type TUpdateNotificationSettings = z.output<typeof ZUpdateNotificationSettings>;

/** Do not disturb for `hours` from now; null ends it. */
export const ZSetDoNotDisturb = z
  .object({ hours: z.number().positive().max(MAX_DND_HOURS, `at most ${MAX_DND_HOURS} hours`).nullable() })
  .strict();

/** A conversation's level ("nothing" = muted) and, for channels, whether broadcasts notify. */
export const ZSetConversationNotifications = z
  .object({
    conversationId: ZId,
    level: z.enum(["default", "all", "mentions", "nothing"]).optional(),
    ignoreBroadcasts: z.boolean().optional(),
  })
  .strict();

/** The global settings as the settings page shows them. */
export type TNotificationSettingsDto = Omit<TNotificationPrefs, "userId"> & { emailEnabled: boolean };

/** The user's global preferences (defaults when never set). */
export async function loadNotifyPrefs(
  db: TDb,
  userId: string,
): Promise<TNotificationPrefs & { emailEnabled: boolean }> {
  const row = await db.notificationSettings.findUnique({ where: { userId } });
  return {
    userId,
    level: row?.level ?? "dms_and_mentions",
    keywords: row?.keywords ?? [],
    dndUntil: row?.dndUntil ?? null,
    dndStartMinute: row?.dndStartMinute ?? null,
    dndEndMinute: row?.dndEndMinute ?? null,
    timeZone: row?.timeZone ?? "UTC",
    emailEnabled: row?.emailEnabled ?? true,
  };
}

/** The actor's own global notification settings. */
export async function getNotificationSettings(db: TDb, actor: TActor): Promise<TNotificationSettingsDto> {
  const { userId: _userId, ...settings } = await loadNotifyPrefs(db, actor.userId);
  return settings;
}

async function writeSettings(
  db: TDb,
  actor: TActor,
  data: Partial<{
    level: TNotificationPrefs["level"];
    keywords: string[];
    dndUntil: Date | null;
    dndStartMinute: number | null;
    dndEndMinute: number | null;
    timeZone: string;
    emailEnabled: boolean;
  }>,
): Promise<TNotificationSettingsDto> {
  await inWriteTx(db, async (w) => {
    await w.tx.notificationSettings.upsert({
      where: { userId: actor.userId },
      create: { userId: actor.userId, ...data },
      update: data,
    });
    await appendUserEvent(w, actor.userId, UserEventKind.PreferencesUpdated, { notifications: true });
  });
  return getNotificationSettings(db, actor);
}

/** Changes the actor's global notification settings (level, keywords, daily window, zone, e-mail). */
export async function updateNotificationSettings(
  db: TDb,
  actor: TActor,
  input: unknown,
): Promise<TNotificationSettingsDto> {
  const { dndSchedule, ...rest } = parseInput(ZUpdateNotificationSettings, input);
  return writeSettings(db, actor, {
    ...rest,
    ...(dndSchedule ? { dndStartMinute: dndSchedule.startMinute, dndEndMinute: dndSchedule.endMinute } : {}),
  });
}

/** Do not disturb for N hours from now (`hours: null` ends it at once). */
export async function setDoNotDisturb(
  db: TDb,
  actor: TActor,
  input: unknown,
  now: Date = new Date(),
): Promise<TNotificationSettingsDto> {
  const { hours } = parseInput(ZSetDoNotDisturb, input);
  return writeSettings(db, actor, {
    dndUntil: hours === null ? null : new Date(now.getTime() + hours * 3_600_000),
  });
}

/** The actor's settings in one conversation, as membership.updated and the conversation DTO carry them. */
export type TConversationNotificationsDto = {
  conversationId: string;
  muted: boolean;
  notifyLevel: "default" | "all" | "mentions";
  ignoreBroadcasts: boolean;
};

/**
 * Sets the actor's level in a conversation ("nothing" mutes it; any other level unmutes it) and,
 * for channels, whether @channel/@here/@everyone notify them. Members only (also archived ones:
 * it changes nothing others see).
 */
export async function setConversationNotifications(
  db: TDb,
  actor: TActor,
  input: unknown,
): Promise<TConversationNotificationsDto> {
  const { conversationId, level, ignoreBroadcasts } = parseInput(ZSetConversationNotifications, input);
  return inWriteTx(db, async (w) => {
    const access = await loadAccess(w.tx, actor, conversationId);
    requireMember(access);
    if (ignoreBroadcasts !== undefined && !isChannelKind(access.kind)) {
      throw new ParleyError("BAD_REQUEST", "Only channels have broadcast mentions to ignore");
    }
    const key = { conversationId_userId: { conversationId, userId: actor.userId } };
    const before = await w.tx.membership.findUnique({
      where: key,
      select: { muted: true, notifyLevel: true, ignoreBroadcasts: true },
    });
    if (!before) throw new ParleyError("NOT_FOUND", "Conversation not found");
    const after = {
      muted: level === undefined ? before.muted : level === "nothing",
      notifyLevel: level === undefined || level === "nothing" ? before.notifyLevel : level,
      ignoreBroadcasts: ignoreBroadcasts ?? before.ignoreBroadcasts,
    };
    const dto: TConversationNotificationsDto = { conversationId, ...after };
    if (
      after.muted === before.muted &&
      after.notifyLevel === before.notifyLevel &&
      after.ignoreBroadcasts === before.ignoreBroadcasts
    ) {
      return dto;
    }
    await w.tx.membership.update({ where: key, data: after });
    await appendUserEvent(w, actor.userId, UserEventKind.MembershipUpdated, { ...dto });
    return dto;
  });
}
