/**
 * Profiles: display name, job title, pronouns, time zone and the avatar's id (the avatar's bytes
 * are avatar.ts's). A user edits their own; an admin edits (or clears) someone they outrank, and
 * that is audit-logged. A change others can see is announced as `member.updated` in every
 * conversation the person is in (see `announceProfile`), so member lists, message rows, DMs and
 * mentions follow live. The time zone is NotificationSettings.timeZone: the one the daily
 * do-not-disturb window already uses (notifications/prefs.ts), so there is one per person.
 */
import type { TDb } from "@parley/db";
import { EventKind, UserEventKind, zLine } from "@parley/protocol";
import { z } from "zod";
import { isAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditJson, type TAuditOrigin } from "../audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { canSeePersonSql, isGuest } from "../guests.ts";
import { ZId, ZPersonName } from "../schemas.ts";
import { appendConversationEvent, appendUserEvent, inWriteTx, type TTx, type TWriter } from "../tx.ts";
import { requireOutranks } from "../users.ts";

/** Longest job title and pronouns. */
export const MAX_TITLE_LENGTH = 100;
export const MAX_PRONOUNS_LENGTH = 40;

/** A person's profile as others see it. */
export type TProfileDto = {
  userId: string;
  name: string;
  title: string;
  pronouns: string;
  /** IANA time zone ("UTC" until set). */
  timeZone: string;
  /** The current avatar (GET /api/avatars/<userId>/<avatarId>); null: none, show initials. */
  avatarId: string | null;
};

let zones: ReadonlySet<string> | undefined;
/** The IANA zones this runtime knows (Intl.supportedValuesOf), plus "UTC" (which it lists as Etc/UTC). */
export function isSupportedTimeZone(zone: string): boolean {
  zones ??= new Set([...Intl.supportedValuesOf("timeZone"), "UTC"]);
  return zones.has(zone);
}

/** A profile change: only the fields given change; `userId` (admins) names someone else. */
export const ZUpdateProfile = z
  .object({
    userId: ZId.optional(),
    name: ZPersonName.optional(),
    title: zLine().trim().max(MAX_TITLE_LENGTH, `title is at most ${MAX_TITLE_LENGTH} characters`).optional(),
    pronouns: zLine()
      .trim()
      .max(MAX_PRONOUNS_LENGTH, `pronouns are at most ${MAX_PRONOUNS_LENGTH} characters`)
      .optional(),
    timeZone: zLine()
      .trim()
      .max(64)
      .refine(isSupportedTimeZone, errorTemplate("must be an IANA time zone like Europe/Berlin"))
      .optional(),
  })
  .strict();
export type TUpdateProfile = z.input<typeof ZUpdateProfile>;

/** Whose profile (yours by default). */
export const ZProfileRef = z.object({ userId: ZId.optional() }).strict();

/**
 * The user whose profile `actor` may change: themselves, or (admins) someone they outrank.
 * NOT_FOUND for an unknown user; FORBIDDEN for a member acting on someone else.
 */
export async function requireProfileEditor(
  db: Pick<TTx, "user">,
  actor: TActor,
  userId: string | undefined,
): Promise<{ id: string; email: string; isSelf: boolean }> {
  const id = userId ?? actor.userId;
  const isSelf = id === actor.userId;
  if (!isSelf && !isAdmin(actor)) {
    throw new ParleyError("FORBIDDEN", "Only admins can change someone else's profile");
  }
  const target = await db.user.findUnique({ where: { id }, select: { id: true, email: true, role: true } });
  if (!target) throw new ParleyError("NOT_FOUND", "User not found");
  if (!isSelf) requireOutranks(actor, target.role, "change the profile of");
  return { id, email: target.email, isSelf };
}

/** Reads one profile (inside or outside a transaction). */
export async function readProfile(db: Pick<TTx, "user">, userId: string): Promise<TProfileDto | null> {
  const row = await db.user.findUnique({
    where: { id: userId },
    select: {
      id: true,
      name: true,
      title: true,
      pronouns: true,
      avatarId: true,
      notificationSettings: { select: { timeZone: true } },
    },
  });
  if (!row) return null;
  return {
    userId: row.id,
    name: row.name,
    title: row.title,
    pronouns: row.pronouns,
    timeZone: row.notificationSettings?.timeZone ?? "UTC",
    avatarId: row.avatarId,
  };
}

/** Someone's profile (yours without `userId`); a guest sees only people they share a channel with. */
export async function getProfile(db: TDb, actor: TActor, input: unknown): Promise<TProfileDto> {
  const { userId = actor.userId } = parseInput(ZProfileRef, input);
  await requireSeesPerson(db, actor, userId);
  const profile = await readProfile(db, userId);
  if (!profile) throw new ParleyError("NOT_FOUND", "User not found");
  return profile;
}

/**
 * NOT_FOUND (with `message`: the caller's answer for an unknown id, so the two cannot be told
 * apart) unless `actor` may see `userId` (guests: only people they share a channel with).
 */
export async function requireSeesPerson(
  db: TDb,
  actor: TActor,
  userId: string,
  message: string = errorTemplate("User not found"),
): Promise<void> {
  if (!isGuest(actor) || userId === actor.userId) return;
  const rows = await db.$queryRawUnsafe<{ ok: boolean }[]>(
    `SELECT ${canSeePersonSql("$1::uuid", "$2::uuid")} AS ok`,
    actor.userId,
    userId,
  );
  if (!rows[0]?.ok) throw new ParleyError("NOT_FOUND", message);
}

/**
 * Changes profile fields (only those given). Yours, or (admins) someone's you outrank, which is
 * audit-logged with the fields' before and after. A change others see (name, title, pronouns) is
 * announced in the person's conversations; a new time zone tells their devices to refetch their
 * notification settings. Changing nothing writes nothing.
 */
export async function updateProfile(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TProfileDto> {
  const { userId, ...fields } = parseInput(ZUpdateProfile, input);
  return inWriteTx(db, async (w) => {
    const target = await requireProfileEditor(w.tx, actor, userId);
    // The row lock orders concurrent edits of one profile (each announces what it committed).
    await w.tx.$queryRaw`SELECT id FROM "User" WHERE id = ${target.id}::uuid FOR UPDATE`;
    const before = await readProfile(w.tx, target.id);
    if (!before) throw new ParleyError("NOT_FOUND", "User not found");
    const changed = (Object.keys(fields) as (keyof typeof fields)[]).filter(
      (k) => fields[k] !== undefined && fields[k] !== before[k],
    );
    if (changed.length === 0) return before;
    const { timeZone, ...userFields } = fields;
    if (Object.values(userFields).some((v) => v !== undefined)) {
      await w.tx.user.update({ where: { id: target.id }, data: userFields });
    }
    if (timeZone !== undefined && timeZone !== before.timeZone) {
      await w.tx.notificationSettings.upsert({
        where: { userId: target.id },
        create: { userId: target.id, timeZone },
        update: { timeZone },
      });
      await appendUserEvent(w, target.id, UserEventKind.PreferencesUpdated, { notifications: true });
    }
    const after = { ...before, ...Object.fromEntries(changed.map((k) => [k, fields[k]])) };
    if (changed.some((k) => k !== "timeZone")) await announceProfile(w, actor, after);
    if (!target.isSelf) {
      const pick = (p: TProfileDto) =>
        Object.fromEntries(changed.map((k) => [k, p[k]])) as { [key: string]: TAuditJson };
      await recordAudit(w.tx, {
        action: "user.profile_updated",
        actorId: actor.userId,
        target: { type: "user", id: target.id, label: target.email },
        origin,
        details: { before: pick(before), after: pick(after) },
      });
    }
    return after;
  });
}

/**
 * Appends `member.updated` (the profile as it is now) to every conversation the person is in and
 * that takes events (not archived). The conversations are locked in id order, so two announcements
 * (or any writers locking several conversations in that order) cannot deadlock. One event per
 * conversation: a profile change costs as many appends as the person has memberships.
 */
export async function announceProfile(w: TWriter, actor: TActor, profile: TProfileDto): Promise<void> {
  const rows = await w.tx.$queryRaw<{ id: string }[]>`
    SELECT c.id FROM "Conversation" c
    JOIN "Membership" m ON m."conversationId" = c.id AND m."userId" = ${profile.userId}::uuid
    WHERE c."archivedAt" IS NULL
    ORDER BY c.id
    FOR UPDATE OF c`;
  const payload = {
    userId: profile.userId,
    name: profile.name,
    title: profile.title,
    pronouns: profile.pronouns,
    avatarId: profile.avatarId,
  };
  for (const { id } of rows) {
    await appendConversationEvent(w, id, EventKind.MemberUpdated, actor.userId, payload);
  }
}
