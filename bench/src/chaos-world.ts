/**
 * The chaos run's users and channels: per channel `sendersPer` senders and `receiversPer`
 * receivers (each a user of its own, with a personal access token); channel 0 also gets silent
 * members up to LARGE_CHANNEL_MEMBERS so the large-channel (topic) fan-out runs too; and, for slow
 * consumers, one more channel of flood senders, slow receivers and one ordinary receiver. Seeded
 * in bulk (seed-fast.ts): a few statements, not one transaction per user.
 */
import { createDb } from "@parley/db";
import { seedChannelFast, seedUsersFast } from "./seed-fast.ts";

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
    const active = shapes.flat().length;
    const silentCount = Math.max(0, LARGE_CHANNEL_MEMBERS - shapes[0]!.length);
    const { userIds, tokens } = await seedUsersFast(db, active + silentCount);
    const silent = userIds.slice(active);
    const conversations: string[] = [];
    const users: TChaosUser[] = [];
    let at = 0;
    for (const [c, shape] of shapes.entries()) {
      const members = userIds.slice(at, at + shape.length);
      const id = await seedChannelFast(db, `chaos-${c}`, [...members, ...(c === 0 ? silent : [])]);
      conversations.push(id);
      members.forEach((userId, k) => {
        users.push({ id: userId, token: tokens[at + k]!, role: shape[k]!, conversationId: id });
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
