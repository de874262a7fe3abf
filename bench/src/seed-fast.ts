/**
 * Bulk seeding for the large scenarios (10,000-member channels, 100,000 idle sockets): users,
 * personal access tokens, conversations and memberships, ids made here. Users, tokens and DMs go
 * in as `INSERT … SELECT FROM unnest(array, …)`, one statement per 25,000 rows with each column one
 * array parameter: Prisma's createMany binds every value separately (2,000 rows a statement), which
 * took 89 s for 100,000 users with their tokens and DMs; unnest does it in a few seconds. Tokens
 * are made exactly like core's createAccessToken (`plt_` + secret, only its SHA-256 stored). Users
 * get no usable password: they sign in by token only.
 */
import { randomUUID } from "node:crypto";
import { ACCESS_TOKEN_PREFIX, randomSecret, sha256 } from "@parley/core";
import { ConversationKind, dmKeyFor, MemberRole, type TDb } from "@parley/db";
import { seedWorkspace } from "@parley/db/seed";

const CHUNK = 2000;
/** Rows per unnest statement (each column is one array parameter, so this only bounds its size). */
const UNNEST_CHUNK = 25_000;

async function inChunks<T>(items: T[], fn: (chunk: T[]) => Promise<unknown>, size = CHUNK): Promise<void> {
  for (let i = 0; i < items.length; i += size) await fn(items.slice(i, i + size));
}

/** `[from, to)` index ranges of `UNNEST_CHUNK` rows covering `n`. */
function ranges(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i += UNNEST_CHUNK) out.push([i, Math.min(n, i + UNNEST_CHUNK)]);
  return out;
}

/** `n` users with one token each; index i of both arrays is the same user. */
export async function seedUsersFast(db: TDb, n: number): Promise<{ userIds: string[]; tokens: string[] }> {
  await seedWorkspace(db, { name: "Bench" });
  const run = randomUUID().slice(0, 8);
  const userIds = Array.from({ length: n }, () => randomUUID());
  const tokens = Array.from({ length: n }, () => `${ACCESS_TOKEN_PREFIX}${randomSecret(32)}`);
  for (const [from, to] of ranges(n)) {
    const ids = userIds.slice(from, to);
    // Emails and names from the row's position: `bench-<run>-<i>@parley.test`, `Bench <i>`.
    await db.$executeRaw`
      INSERT INTO "User" (id, email, name, "passwordHash", "updatedAt")
      SELECT u.id, 'bench-' || ${run}::text || '-' || (u.i - 1 + ${from}::int) || '@parley.test',
        'Bench ' || (u.i - 1 + ${from}::int), '!bench-token-only', now()
      FROM unnest(${ids}::uuid[]) WITH ORDINALITY AS u(id, i)`;
    const slice = tokens.slice(from, to);
    await db.$executeRaw`
      INSERT INTO "PersonalAccessToken" (id, "userId", name, "tokenHash", prefix)
      SELECT gen_random_uuid(), t."userId", 'bench', t.hash, t.prefix
      FROM unnest(${ids}::uuid[], ${slice.map(sha256)}::text[], ${slice.map((t) => t.slice(0, 12))}::text[])
        AS t("userId", hash, prefix)`;
  }
  return { userIds, tokens };
}

/** One public channel holding every given user (the first one owns it). */
export async function seedChannelFast(db: TDb, name: string, memberIds: string[]): Promise<string> {
  const id = randomUUID();
  await db.conversation.create({
    data: { id, kind: ConversationKind.public_channel, name, createdById: memberIds[0]! },
  });
  await inChunks(
    memberIds.map((userId, i) => ({
      conversationId: id,
      userId,
      role: i === 0 ? MemberRole.owner : MemberRole.member,
    })),
    (data) => db.membership.createMany({ data }),
  );
  return id;
}

/** One DM per pair (users 2i and 2i+1); returns the conversation id of each pair. */
export async function seedDmPairsFast(db: TDb, userIds: string[]): Promise<string[]> {
  const pairs = Math.floor(userIds.length / 2);
  const ids = Array.from({ length: pairs }, () => randomUUID());
  for (const [from, to] of ranges(pairs)) {
    const chunk = ids.slice(from, to);
    const firsts = chunk.map((_, j) => userIds[2 * (from + j)]!);
    const seconds = chunk.map((_, j) => userIds[2 * (from + j) + 1]!);
    const keys = chunk.map((_, j) => dmKeyFor([firsts[j]!, seconds[j]!]));
    await db.$executeRaw`
      INSERT INTO "Conversation" (id, kind, "dmKey", "createdById", "updatedAt")
      SELECT c.id, ${ConversationKind.dm}::"ConversationKind", c.key, c.first, now()
      FROM unnest(${chunk}::uuid[], ${keys}::text[], ${firsts}::uuid[]) AS c(id, key, first)`;
    await db.$executeRaw`
      INSERT INTO "Membership" ("conversationId", "userId", role)
      SELECT m.id, m."userId", ${MemberRole.member}::"MemberRole"
      FROM unnest(${[...chunk, ...chunk]}::uuid[], ${[...firsts, ...seconds]}::uuid[]) AS m(id, "userId")`;
  }
  return ids;
}
