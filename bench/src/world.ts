/**
 * The bench's world in its own database: users, conversations and personal access tokens.
 * To add a scenario: extend `buildWorld` (who is in which conversation); receivers follow from
 * `members`.
 */
import { randomBytes } from "node:crypto";
import { ConversationKind, type TDb } from "@parley/db";
import { seedChannel, seedUser, seedWorkspace } from "@parley/db/seed";
import { mapLimit, tokensFor } from "./harness.ts";
import { CHANNEL_SIZE, type TScenario } from "./options.ts";

export type TWorld = {
  userIds: string[];
  tokens: string[];
  /** Conversation of each connection (one user = one connection = one conversation). */
  conversationOf: string[];
  /** Members (connection indexes) per conversation. */
  members: Map<string, number[]>;
};

export async function buildWorld(db: TDb, connections: number, scenario: TScenario): Promise<TWorld> {
  await seedWorkspace(db, { name: "Bench" });
  const users = await mapLimit(Array.from({ length: connections }), 8, (_, i) =>
    seedUser(db, { name: `Bench ${i}`, email: `bench-${i}-${randomBytes(3).toString("hex")}@parley.test` }),
  );
  const tokens = await tokensFor(db, users);
  const conversationOf = new Array<string>(connections);
  const members = new Map<string, number[]>();
  const groupSize = scenario === "dm" ? 2 : CHANNEL_SIZE;
  const groups = Array.from({ length: connections / groupSize }, (_, g) =>
    Array.from({ length: groupSize }, (_, k) => g * groupSize + k),
  );
  await mapLimit(groups, 8, async (group, g) => {
    const ids = group.map((i) => users[i]!.id);
    const conversation = await seedChannel(db, {
      kind: scenario === "dm" ? ConversationKind.dm : ConversationKind.public_channel,
      ...(scenario === "dm" ? {} : { name: `bench-${g}-${randomBytes(3).toString("hex")}` }),
      createdById: ids[0]!,
      memberIds: ids,
    });
    for (const i of group) conversationOf[i] = conversation.id;
    members.set(conversation.id, group);
  });
  return { userIds: users.map((u) => u.id), tokens, conversationOf, members };
}
