/**
 * The chaos run's users and channels: per channel `sendersPer` senders and `receiversPer`
 * receivers (each a user of its own, with a personal access token); channel 0 also gets silent
 * members up to LARGE_CHANNEL_MEMBERS so the large-channel (topic) fan-out runs too; and, for slow
 * consumers, one more channel of flood senders, slow receivers and one ordinary receiver.
 */
import { ConversationKind, createDb } from "@parley/db";
import { seedChannel, seedUser, seedWorkspace } from "@parley/db/seed";
import { mapLimit, tokensFor } from "./harness.ts";

/** Channel 0 gets silent members up to this size (above LARGE_CHANNEL_THRESHOLD, 200). */
const LARGE_CHANNEL_MEMBERS = 201;

export type TChaosRole = "sender" | "receiver" | "flooder" | "slow";
export type TChaosUser = { id: string; token: string; role: TChaosRole; conversationId: string };

export async function seedChaosWorld(
  databaseUrl: string,
  o: {
    channels: number;
    sendersPer: number;
    receiversPer: number;
    slowChannel: { flooders: number; slow: number } | null;
  },
): Promise<{ users: TChaosUser[]; conversations: string[]; summary: string }> {
  const db = createDb(databaseUrl, { max: 4 });
  try {
    await seedWorkspace(db, { name: "Chaos" });
    const shapes: TChaosRole[][] = Array.from({ length: o.channels }, () => [
      ...Array<TChaosRole>(o.sendersPer).fill("sender"),
      ...Array<TChaosRole>(o.receiversPer).fill("receiver"),
    ]);
    if (o.slowChannel)
      shapes.push([
        ...Array<TChaosRole>(o.slowChannel.flooders).fill("flooder"),
        ...Array<TChaosRole>(o.slowChannel.slow).fill("slow"),
        "receiver",
      ]);
    const roles = shapes.flat();
    const seeded = await mapLimit(roles, 8, (_, i) => seedUser(db, { name: `Chaos ${i}` }));
    const tokens = await tokensFor(db, seeded);
    const firstMember = shapes[0]!.length;
    const silent = await mapLimit(
      Array.from({ length: Math.max(0, LARGE_CHANNEL_MEMBERS - firstMember) }),
      8,
      () => seedUser(db),
    );
    const conversations: string[] = [];
    const users: TChaosUser[] = [];
    let at = 0;
    for (const [c, shape] of shapes.entries()) {
      const members = seeded.slice(at, at + shape.length);
      const conv = await seedChannel(db, {
        kind: ConversationKind.public_channel,
        name: `chaos-${c}`,
        createdById: members[0]!.id,
        memberIds: [...members.map((u) => u.id), ...(c === 0 ? silent.map((u) => u.id) : [])],
      });
      conversations.push(conv.id);
      members.forEach((u, k) => {
        users.push({ id: u.id, token: tokens[at + k]!, role: shape[k]!, conversationId: conv.id });
      });
      at += shape.length;
    }
    return {
      users,
      conversations,
      summary: `${users.length} users (+${silent.length} silent members of channel 0), ${conversations.length} channels${o.slowChannel ? " (the last for slow consumers)" : ""}`,
    };
  } finally {
    await db.$disconnect();
  }
}
