/**
 * A user's display preferences, kept on the server so every device of theirs follows them (the
 * notification settings are in notifications/prefs.ts, read receipts in receipts/view.ts):
 * `sidebarUnreadsFirst`, Slack's "show unreads at the top" (the web sorts; see
 * apps/web/src/lib/conversation-order.ts), and `locale`, the UI language (the web's
 * src/i18n/request.ts renders in it; null follows the browser's Accept-Language). Each service acts on the actor's own preferences only;
 * a change appends `preferences.updated` with the changed fields to the user's log, so their other
 * devices re-sort at once. To add one: a column on User, a field in ZUpdatePreferences and in
 * the event's payload (`@parley/protocol`), and the web's handler in chat-data.ts.
 */
import type { TDb } from "@parley/db";
import { UserEventKind } from "@parley/protocol";
import { z } from "zod";
import type { TActor } from "./actor.ts";
import { ParleyError, parseInput } from "./errors.ts";
import { appendUserEvent, inWriteTx } from "./tx.ts";

/** The preferences as the settings page and the sidebar read them. */
export type TUserPreferencesDto = {
  /** Mentions, then unread conversations, at the top of each sidebar section (else by name). */
  sidebarUnreadsFirst: boolean;
  /** The UI language, one of SUPPORTED_LOCALES; null = the browser's (Accept-Language). */
  locale: string | null;
};

/** The UI languages the web client ships messages for (apps/web/src/i18n/messages/<locale>.json). */
export const SUPPORTED_LOCALES = ["en", "ar"] as const;

/** A change to the preferences; absent fields stay as they are. */
export const ZUpdatePreferences = z.strictObject({
  sidebarUnreadsFirst: z.boolean().optional(),
  locale: z.enum(SUPPORTED_LOCALES).nullable().optional(),
});

const preferencesSelect = { sidebarUnreadsFirst: true, locale: true } as const;

/** The actor's own display preferences. */
export async function getPreferences(db: TDb, actor: TActor): Promise<TUserPreferencesDto> {
  const user = await db.user.findUnique({ where: { id: actor.userId }, select: preferencesSelect });
  if (!user) throw new ParleyError("NOT_FOUND", "User not found");
  return user;
}

/**
 * Changes the actor's display preferences. Only a real change is written and announced
 * (`preferences.updated` with the changed fields), so a repeated click costs no event.
 */
export async function updatePreferences(
  db: TDb,
  actor: TActor,
  input: unknown,
): Promise<TUserPreferencesDto> {
  const change = parseInput(ZUpdatePreferences, input);
  return inWriteTx(db, async (w) => {
    // Locked: two devices changing it at once each compare with what the other wrote.
    const [before] = await w.tx.$queryRaw<TUserPreferencesDto[]>`
      SELECT "sidebarUnreadsFirst", "locale" FROM "User" WHERE id = ${actor.userId}::uuid FOR UPDATE`;
    if (!before) throw new ParleyError("NOT_FOUND", "User not found");
    const changed: Partial<TUserPreferencesDto> = {};
    if (
      change.sidebarUnreadsFirst !== undefined &&
      change.sidebarUnreadsFirst !== before.sidebarUnreadsFirst
    ) {
      changed.sidebarUnreadsFirst = change.sidebarUnreadsFirst;
    }
    if (change.locale !== undefined && change.locale !== before.locale) changed.locale = change.locale;
    if (Object.keys(changed).length === 0) return before;
    const after = await w.tx.user.update({
      where: { id: actor.userId },
      data: changed,
      select: preferencesSelect,
    });
    await appendUserEvent(w, actor.userId, UserEventKind.PreferencesUpdated, changed);
    return after;
  });
}
