/**
 * Bulk seeding for the large scenarios (10,000-member channels, 100,000 idle sockets): users,
 * personal access tokens, conversations and memberships with `createMany` in chunks, ids made
 * here. Tokens are made exactly like core's createAccessToken (`plt_` + secret, only its SHA-256
 * stored), just many per statement. Users get no usable password: they sign in by token only.
 */
import { randomUUID } from "node:crypto";
import { randomSecret, sha256 } from "@parley/core/ids";
import { ACCESS_TOKEN_PREFIX } from "@parley/core/tokens";
import { ConversationKind, type Db, dmKeyFor, MemberRole } from "@parley/db";
import { seedWorkspace } from "@parley/db/seed";

const CHUNK = 2000;

async function inChunks<T>(items: T[], fn: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += CHUNK) await fn(items.slice(i, i + CHUNK));
}

/** `n` users with one token each; index i of both arrays is the same user. */
export async function seedUsersFast(db: Db, n: number): Promise<{ userIds: string[]; tokens: string[] }> {
  await seedWorkspace(db, { name: "Bench" });
  const run = randomUUID().slice(0, 8);
  const userIds = Array.from({ length: n }, () => randomUUID());
  const tokens = Array.from({ length: n }, () => `${ACCESS_TOKEN_PREFIX}${randomSecret(32)}`);
  await inChunks(
    userIds.map((id, i) => ({
      id,
      email: `bench-${run}-${i}@parley.test`,
      name: `Bench ${i}`,
      passwordHash: "!bench-token-only",
    })),
    (data) => db.user.createMany({ data }),
  );
  await inChunks(
    tokens.map((token, i) => ({
      userId: userIds[i]!,
      name: "bench",
      tokenHash: sha256(token),
      prefix: token.slice(0, 12),
    })),
    (data) => db.personalAccessToken.createMany({ data }),
  );
  return { userIds, tokens };
}

/** One public channel holding every given user (the first one owns it). */
export async function seedChannelFast(db: Db, name: string, memberIds: string[]): Promise<string> {
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
export async function seedDmPairsFast(db: Db, userIds: string[]): Promise<string[]> {
  const pairs = Math.floor(userIds.length / 2);
  const ids = Array.from({ length: pairs }, () => randomUUID());
  await inChunks(
    ids.map((id, p) => ({
      id,
      kind: ConversationKind.dm,
      dmKey: dmKeyFor([userIds[2 * p]!, userIds[2 * p + 1]!]),
      createdById: userIds[2 * p]!,
    })),
    (data) => db.conversation.createMany({ data }),
  );
  await inChunks(
    ids.flatMap((conversationId, p) => [
      { conversationId, userId: userIds[2 * p]!, role: MemberRole.member },
      { conversationId, userId: userIds[2 * p + 1]!, role: MemberRole.member },
    ]),
    (data) => db.membership.createMany({ data }),
  );
  return ids;
}
