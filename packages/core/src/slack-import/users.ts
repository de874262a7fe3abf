/**
 * People of an import. Each Slack user (and each bot or unknown sender the messages name) becomes
 * one Parley user, remembered in SlackImportMapping (`user`):
 * - already mapped by an earlier import: that user, unchanged;
 * - else a Parley user with the same e-mail (lower-cased), whatever their state: that user,
 *   unchanged (their name, role and password stay theirs);
 * - else a new user, created DEACTIVATED with no password (an empty hash never verifies): they
 *   cannot sign in until an admin reactivates them (Settings → People) and sends a password reset
 *   link or they redeem an invite with that e-mail. Without an e-mail in the export (bots, deleted
 *   users, other workspaces' people) the address is `<slack id>@slack-import.invalid`, a reserved
 *   domain that can never receive mail.
 */
import type { TDb } from "@parley/db";
import { uuidv7 } from "../ids.ts";
import { cleanLine, type TSlackUser } from "./format.ts";
import type { TPlan } from "./plan.ts";

/** A Parley user an import writes as. */
export type TImportedUser = { id: string; name: string };

export type TUserCounts = { matched: number; created: number };

const EMAIL = /^[^@\s]{1,64}@[^@\s]{1,255}$/;

function emailOf(user: TSlackUser): string {
  const email = user.profile?.email?.trim().toLowerCase() ?? "";
  return EMAIL.test(email) ? email : `${user.id.toLowerCase()}@slack-import.invalid`;
}

function nameOf(user: TSlackUser): string {
  for (const candidate of [user.profile?.real_name, user.real_name, user.profile?.display_name, user.name]) {
    const name = cleanLine(candidate ?? "");
    if (name !== "") return name;
  }
  return user.id;
}

/**
 * Maps (or creates) every person of the plan, in batches of `batchSize`; returns Slack id → user
 * and the counts. Idempotent: a second call finds every mapping and writes nothing.
 */
export async function importUsers(
  db: TDb,
  plan: TPlan,
  batchSize: number,
): Promise<{ users: Map<string, TImportedUser>; counts: TUserCounts }> {
  const people: { slackId: string; email: string; name: string }[] = [
    ...plan.users.map((u) => ({ slackId: u.id, email: emailOf(u), name: nameOf(u) })),
    ...[...plan.extraUsers].map(([slackId, name]) => ({
      slackId,
      email: `${slackId.toLowerCase()}@slack-import.invalid`,
      name: cleanLine(name) || slackId,
    })),
  ];
  const users = new Map<string, TImportedUser>();
  const counts: TUserCounts = { matched: 0, created: 0 };
  for (let start = 0; start < people.length; start += batchSize) {
    const batch = people.slice(start, start + batchSize);
    await db.$transaction(async (tx) => {
      const mapped = await tx.$queryRaw<{ slackId: string; id: string; name: string }[]>`
        SELECT m."slackId", u.id, u.name FROM "SlackImportMapping" m JOIN "User" u ON u.id = m."parleyId"
        WHERE m.kind = 'user' AND m."slackId" = ANY(${batch.map((p) => p.slackId)}::text[])`;
      for (const row of mapped) users.set(row.slackId, { id: row.id, name: row.name });
      const todo = batch.filter((p) => !users.has(p.slackId));
      if (todo.length === 0) return;
      // New people first (an address already taken is matched below instead).
      const inserted = await tx.$queryRaw<{ email: string }[]>`
        INSERT INTO "User" (id, email, name, "passwordHash", role, "deactivatedAt", "updatedAt")
        SELECT x.id, x.email, x.name, '', 'member', now(), now()
        FROM unnest(${todo.map(() => uuidv7())}::uuid[], ${todo.map((p) => p.email)}::text[],
          ${todo.map((p) => p.name)}::text[]) AS x(id, email, name)
        ON CONFLICT (email) DO NOTHING
        RETURNING email`;
      const isNew = new Set(inserted.map((r) => r.email));
      const found = await tx.$queryRaw<{ id: string; email: string; name: string }[]>`
        SELECT id, email, name FROM "User"
        WHERE email = ANY(${todo.map((p) => p.email)}::text[])`;
      const byEmail = new Map(found.map((u) => [u.email, u]));
      const rows: { slackId: string; id: string }[] = [];
      for (const p of todo) {
        const user = byEmail.get(p.email);
        if (!user) continue;
        users.set(p.slackId, { id: user.id, name: user.name });
        rows.push({ slackId: p.slackId, id: user.id });
        if (isNew.has(user.email)) counts.created++;
        else counts.matched++;
      }
      await tx.$executeRaw`
        INSERT INTO "SlackImportMapping" (kind, "slackId", "parleyId")
        SELECT 'user', s, p FROM unnest(${rows.map((r) => r.slackId)}::text[], ${rows.map((r) => r.id)}::uuid[]) AS x(s, p)
        ON CONFLICT DO NOTHING`;
    });
  }
  return { users, counts };
}
