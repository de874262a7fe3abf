/**
 * `backlog --messages N --conversations K`: one user was offline holding cursors; meanwhile
 * other senders wrote N messages spread over K conversations (seeded straight into the log with
 * seedMessages). The user connects with its old cursors: `welcome` → the last replayed event,
 * over `--repeat` fresh connections, each checked for order (seq cursor+1, +2, … per
 * conversation) and duplicates. `synced` with status `more` is followed by a `sync` from the new
 * cursors, as the SDK does.
 */
import { randomBytes } from "node:crypto";
import { seedMessages } from "@parley/db/seed";
import { PROTOCOL_VERSION } from "@parley/protocol";
import WebSocket from "ws";
import { startFleet } from "../gateways.ts";
import { mapLimit, nowMs } from "../harness.ts";
import type { TOptions } from "../options.ts";
import { seedChannelFast, seedUsersFast } from "../seed-fast.ts";
import { prepareDatabase } from "../setup.ts";
import { watchGenerator } from "../stats.ts";

/** Messages each conversation already holds when the user goes offline (its cursors). */
const BEFORE = 3;

/** Replays before the measured ones. */
const WARMUP_REPLAYS = 8;

type TReplay = { ms: number; received: number; ordered: boolean; duplicates: number; syncs: number };

export async function runBacklog(
  o: TOptions,
  log: (line: string) => void,
  startedAt: number,
): Promise<number> {
  const { messages: n, conversations: k } = o;
  const { db, url } = await prepareDatabase(o, log);
  const seedStart = Date.now();
  const { userIds, tokens } = await seedUsersFast(db, k + 1);
  const reader = userIds[k]!;
  const conversations: string[] = [];
  for (let c = 0; c < k; c += 1) {
    conversations.push(
      await seedChannelFast(db, `backlog-${c}-${randomBytes(3).toString("hex")}`, [userIds[c]!, reader]),
    );
  }
  const cursors: Record<string, number> = {};
  // The history the reader holds, then the backlog written while it is away: N spread as evenly
  // as possible over K (conversations in parallel; each seedMessages is one transaction).
  await mapLimit(conversations, 4, async (conversationId, c) => {
    await seedMessages(db, { conversationId, senderId: userIds[c]!, count: BEFORE });
    cursors[conversationId] = BEFORE;
    const count = Math.floor(n / k) + (c < n % k ? 1 : 0);
    await seedMessages(db, {
      conversationId,
      senderId: userIds[c]!,
      count,
      body: (i) => `backlog ${c} ${i}`,
    });
  });
  log(
    `seeded: ${n} messages over ${k} conversations (after ${BEFORE} each the reader holds) in ${((Date.now() - seedStart) / 1000).toFixed(1)}s`,
  );

  const { gateways } = await startFleet({
    count: 1,
    engine: o.engine,
    databaseUrl: url,
    redisUrl: o.redisUrl,
    log,
  });
  const gatewayUrl = gateways[0]!.url;
  const replay = () =>
    new Promise<TReplay>((resolve, reject) => {
      const ws = new WebSocket(gatewayUrl, {
        headers: { Authorization: `Bearer ${tokens[k]}` },
        perMessageDeflate: false,
      });
      const held = { ...cursors };
      const seen = new Set<string>();
      let welcomeAt = 0;
      let lastAt = 0;
      let received = 0;
      let duplicates = 0;
      let ordered = true;
      let syncs = 0;
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`backlog replay incomplete after 60 s (${received} of ${n})`));
      }, 60_000);
      const finish = () => {
        clearTimeout(timer);
        ws.terminate();
        resolve({ ms: lastAt - welcomeAt, received, ordered, duplicates, syncs });
      };
      ws.on("error", (err) => reject(err));
      ws.on("message", (data) => {
        const frame = JSON.parse(String(data)) as {
          type: string;
          conversationId?: string;
          seq?: number;
          kind?: string;
          conversations?: { conversationId: string; lastSeq: number; status: string }[];
        };
        if (frame.type === "welcome") {
          welcomeAt = nowMs();
          ws.send(
            JSON.stringify({
              type: "hello",
              protocolVersion: PROTOCOL_VERSION,
              cursors: held,
              userCursor: 0,
            }),
          );
        } else if (frame.type === "event" && frame.conversationId && frame.seq !== undefined) {
          const key = `${frame.conversationId} ${frame.seq}`;
          if (seen.has(key)) duplicates += 1;
          else if (frame.seq !== (held[frame.conversationId] ?? 0) + 1) ordered = false;
          seen.add(key);
          held[frame.conversationId] = Math.max(held[frame.conversationId] ?? 0, frame.seq);
          if (frame.kind === "message.created") {
            received += 1;
            lastAt = nowMs();
          }
        } else if (frame.type === "synced") {
          const more = (frame.conversations ?? []).filter((c) => c.status === "more");
          if (more.length > 0) {
            syncs += 1;
            const next = Object.fromEntries(more.map((c) => [c.conversationId, held[c.conversationId] ?? 0]));
            ws.send(JSON.stringify({ type: "sync", id: `s${syncs}`, cursors: next }));
          } else if (received >= n) finish();
        }
      });
    });

  const runs: TReplay[] = [];
  // Warm-up: pools, the database's caches, and V8, which optimizes the replay path only over its
  // first few runs (500 events: 15–20 ms for the first six, 8–12 ms after). A running server is
  // warm; the first (cold) replay is printed too.
  const cold = await replay();
  for (let w = 1; w < WARMUP_REPLAYS; w += 1) await replay();
  const gen = watchGenerator();
  for (let r = 0; r < o.repeat; r += 1) runs.push(await replay());
  const g = gen();
  const times = runs.map((r) => r.ms).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const max = times[times.length - 1]!;
  const ordered = runs.every((r) => r.ordered && r.received === n);
  const duplicates = runs.reduce((a, r) => a + r.duplicates, 0);
  log(
    `replays:    ${runs.map((r) => `${r.ms.toFixed(1)}ms (${r.received} events, ${r.syncs} extra syncs)`).join(", ")} after ${WARMUP_REPLAYS} warm-up replays (the first, cold: ${cold.ms.toFixed(1)}ms)`,
  );
  log(
    `bench: scenario=backlog messages=${n} conversations=${k} median_ms=${median.toFixed(1)} max_ms=${max.toFixed(1)} cold_ms=${cold.ms.toFixed(1)} ordered=${ordered} duplicates=${duplicates} repeat=${o.repeat} extra_syncs=${runs[0]?.syncs ?? 0} gen_cpu=${g.cpuPct.toFixed(0)}% gen_lag_p99=${g.lagP99.toFixed(1)}ms engine=${o.engine} elapsed=${((Date.now() - startedAt) / 1000).toFixed(0)}s`,
  );
  return 0;
}
