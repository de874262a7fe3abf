/**
 * Custom emoji: the name rules, the list, and who may add them. Messages and reactions use a
 * custom emoji as `:name:` text (a reaction's `:shortcode:` form, ZEmoji), so nothing stored in a
 * message points at the emoji row: deleting an emoji leaves `:name:` as text everywhere. The image
 * and the writes that touch storage are in upload.ts (`@parley/core/files`, it loads sharp).
 *
 * Who may add one (Slack's default): every member and admin — not guests — unless an admin
 * restricted it to admins (`Workspace.customEmojiAdminsOnly`, `setCustomEmojiPolicy`). The creator
 * and admins may delete one.
 */
import type { TDb } from "@parley/db";
import { type TCustomEmoji, zText } from "@parley/protocol";
import { z } from "zod";
import { isAdmin, requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "../errors.ts";
import { isGuest } from "../guests.ts";
import type { TTx } from "../tx.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";

/** Longest custom emoji name (a reaction's `:shortcode:` allows 64). */
export const MAX_EMOJI_NAME_LENGTH = 64;

/**
 * A custom emoji's name: trimmed, lower-cased, surrounding colons dropped, then 1–64 lower-case
 * letters, digits, `-` or `_`. (Standard emoji names are refused by `requireFreeName`, which
 * needs the emoji data.)
 */
export const ZCustomEmojiName = zText()
  .trim()
  .toLowerCase()
  .transform((s) => s.replace(/^:/, "").replace(/:$/, ""))
  .pipe(
    z
      .string()
      .min(1, errorTemplate("name is required"))
      .max(MAX_EMOJI_NAME_LENGTH, `name is at most ${MAX_EMOJI_NAME_LENGTH} characters`)
      .regex(/^[a-z0-9_-]+$/, errorTemplate("emoji names use only lower-case letters, digits, - and _")),
  );

export const ZCustomEmojiRef = z.object({ name: ZCustomEmojiName });
export const ZCustomEmojiPolicy = z.object({ adminsOnly: z.boolean() });

let standardNames: Promise<ReadonlySet<string>> | null = null;

/**
 * Every standard emoji's shortcode the web offers (emojibase-data: Slack's iamcal codes, and the
 * name-derived code of emoji without one, as apps/web/src/lib/emoji.ts derives it). Loaded once.
 */
export function standardEmojiNames(): Promise<ReadonlySet<string>> {
  standardNames ??= Promise.all([
    import("emojibase-data/en/data.json", { with: { type: "json" } }),
    import("emojibase-data/en/shortcodes/iamcal.json", { with: { type: "json" } }),
  ])
    .then(([data, codes]) => {
      const names = new Set<string>();
      const byHex = codes.default as Record<string, string | string[]>;
      for (const list of Object.values(byHex)) for (const code of [list].flat()) names.add(code);
      for (const e of data.default as unknown as { hexcode: string; label: string }[]) {
        if (byHex[e.hexcode] === undefined) names.add(e.label.toLowerCase().replace(/[^a-z0-9+-]+/g, "_"));
      }
      return names;
    })
    .catch((err: unknown) => {
      standardNames = null;
      throw err;
    });
  return standardNames;
}

/** Throws CONFLICT when `name` is a standard emoji's shortcode or a custom emoji's name. */
export async function requireFreeName(db: Pick<TTx, "customEmoji">, name: string): Promise<void> {
  if ((await standardEmojiNames()).has(name)) {
    throw new ParleyError("CONFLICT", ":{name}: is a standard emoji; choose another name", {
      params: { name },
    });
  }
  if (await db.customEmoji.findUnique({ where: { name }, select: { id: true } })) {
    throw new ParleyError("CONFLICT", "There is already a custom emoji :{name}:", { params: { name } });
  }
}

/** Every custom emoji, by name (anyone signed in). */
export async function listCustomEmoji(db: TDb): Promise<TCustomEmoji[]> {
  return db.customEmoji.findMany({
    orderBy: { name: "asc" },
    select: { id: true, name: true, createdById: true, createdAt: true },
  });
}

/** Who may add custom emoji now, and whether the actor may. */
export type TCustomEmojiPolicy = { adminsOnly: boolean; mayAdd: boolean };

function mayAdd(actor: TActor, adminsOnly: boolean): boolean {
  return !isGuest(actor) && (!adminsOnly || isAdmin(actor));
}

/** The workspace's rule for adding custom emoji (anyone signed in). */
export async function getCustomEmojiPolicy(db: TDb, actor: TActor): Promise<TCustomEmojiPolicy> {
  const ws = await db.workspace.findUnique({
    where: { id: WORKSPACE_ID },
    select: { customEmojiAdminsOnly: true },
  });
  const adminsOnly = ws?.customEmojiAdminsOnly ?? false;
  return { adminsOnly, mayAdd: mayAdd(actor, adminsOnly) };
}

/**
 * Throws FORBIDDEN unless the actor may add custom emoji, by the policy read now (inside the
 * adding transaction, so a restriction applies to the next add in every process).
 */
export async function requireMayAddEmoji(db: Pick<TTx, "workspace">, actor: TActor): Promise<void> {
  if (isGuest(actor)) throw new ParleyError("FORBIDDEN", "Guests cannot add custom emoji");
  const ws = await db.workspace.findUnique({
    where: { id: WORKSPACE_ID },
    select: { customEmojiAdminsOnly: true },
  });
  if (!mayAdd(actor, ws?.customEmojiAdminsOnly ?? false)) {
    throw new ParleyError("FORBIDDEN", "Only workspace admins can add custom emoji in this workspace");
  }
}

/** Restricts adding custom emoji to admins, or opens it to members (admins; audit `workspace.updated`). */
export async function setCustomEmojiPolicy(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TCustomEmojiPolicy> {
  requireAdmin(actor);
  const { adminsOnly } = parseInput(ZCustomEmojiPolicy, input);
  return db.$transaction(async (tx) => {
    const [before] = await tx.$queryRaw<{ customEmojiAdminsOnly: boolean }[]>`
      SELECT "customEmojiAdminsOnly" FROM "Workspace" WHERE id = ${WORKSPACE_ID} FOR UPDATE`;
    if (!before) throw new ParleyError("NOT_FOUND", "The workspace is not set up yet");
    if (before.customEmojiAdminsOnly !== adminsOnly) {
      await tx.workspace.update({ where: { id: WORKSPACE_ID }, data: { customEmojiAdminsOnly: adminsOnly } });
      await recordAudit(tx, {
        action: "workspace.updated",
        actorId: actor.userId,
        target: { type: "workspace", id: String(WORKSPACE_ID) },
        origin,
        details: {
          before: { customEmojiAdminsOnly: before.customEmojiAdminsOnly },
          after: { customEmojiAdminsOnly: adminsOnly },
        },
      });
    }
    return { adminsOnly, mayAdd: mayAdd(actor, adminsOnly) };
  });
}
