/**
 * `sendpath --messages N`: the send path's database cost alone, by batch size, with no gateway,
 * no sockets and no other load of the bench's own: core's `sendMessage` (group commit) is called
 * from this process with exactly B sends submitted together (one batch of B: one statement, one
 * commit), batch after batch, for B in 1, 4, 16, 64, 256. Per message it prints the database
 * cluster's CPU (postmaster + children: backends, WAL writer, autovacuum — harness.ts
 * postgresCpu; point `--database-url` at a cluster of the bench's own so nothing else is
 * counted), this process's CPU (core + pg driver) and the wall time per batch. CPU per message is
 * what a change of the statement moves, whatever else the box is doing; wall time is not.
 *
 * Every sender sends into its own DM (no conversation shared within a batch, as on a busy server
 * with many conversations); the Message table grows as the run goes, as on a real server.
 *
 * Then the search indexer (which runs beside the send path in every server process) catches up on
 * everything sent, in rounds of `SENDPATH_INDEX_EVENTS` events (default 600: a round's worth at
 * 2,400 msg/s and its 250 ms gap), and the cluster's CPU per message indexed is printed too.
 */
import { randomUUID } from "node:crypto";
import { configureSendBatching, indexSearchUntilCaughtUp, sendMessage } from "@parley/core";
import { postgresCpu, postgresCpuSince, postmasterPidOf } from "../harness.ts";
import type { TOptions } from "../options.ts";
import { prepareDatabase } from "../setup.ts";
import { buildWorld } from "../world.ts";

// SENDPATH_SIZES="1,16" measures only those sizes (e.g. to profile one with --cpu-prof).
const BATCH_SIZES = (process.env.SENDPATH_SIZES ?? "1,4,16,64,256")
  .split(",")
  .map(Number)
  .filter((n) => Number.isInteger(n) && n >= 1 && n <= 256);

export async function runSendPath(
  o: TOptions,
  log: (line: string) => void,
  startedAt: number,
): Promise<number> {
  const senders = Math.max(...BATCH_SIZES) * 2;
  const { db } = await prepareDatabase(o, log);
  const world = await buildWorld(db, senders, "dm");
  const postmasterPid = await postmasterPidOf(db);
  if (!postmasterPid) log("warning: the database's postmaster is not readable here: its CPU shows as 0");
  // One batch at a time, as large as what is submitted together.
  configureSendBatching({ maxInFlight: 1, maxBatch: 256 });
  const actors = world.userIds.map((userId) => ({ userId, role: "member" as const }));
  let next = 0;
  const batch = async (size: number) => {
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < size; i += 1) {
      const k = (next + i) % senders;
      sends.push(
        sendMessage(db, actors[k]!, {
          conversationId: world.conversationOf[k]!,
          clientMsgId: randomUUID(),
          body: `sendpath ${k} hello there, how is it going today`,
        }),
      );
    }
    next += size;
    await Promise.all(sends);
  };

  // Warm: pool connections, named statements planned, caches.
  for (let i = 0; i < 50; i += 1) await batch(16);

  const figures: string[] = [];
  for (const size of BATCH_SIZES) {
    const batches = Math.max(5, Math.ceil(o.messages / size));
    const pg0 = postgresCpu(postmasterPid);
    const me0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < batches; i += 1) await batch(size);
    const wallMs = performance.now() - t0;
    const me = process.cpuUsage(me0);
    const pgS = postgresCpuSince(pg0, postgresCpu(postmasterPid));
    const n = batches * size;
    const pgUs = (pgS * 1e6) / n;
    const nodeUs = (me.user + me.system) / n;
    log(
      `batch ${String(size).padStart(3)}: ${n} messages in ${batches} batches; per message: postgres ${pgUs.toFixed(0)} µs CPU, this process ${nodeUs.toFixed(0)} µs CPU; ${(wallMs / batches).toFixed(2)} ms wall per batch`,
    );
    figures.push(`b${size}_pg_us=${pgUs.toFixed(0)} b${size}_node_us=${nodeUs.toFixed(0)}`);
  }
  const roundEvents = Number(process.env.SENDPATH_INDEX_EVENTS ?? 600);
  const pgI = postgresCpu(postmasterPid);
  const tI = performance.now();
  const indexed = await indexSearchUntilCaughtUp(db, { events: roundEvents });
  const indexUs = (postgresCpuSince(pgI, postgresCpu(postmasterPid)) * 1e6) / Math.max(1, indexed.indexed);
  log(
    `search index: ${indexed.indexed} messages in rounds of ≤ ${roundEvents} events; per message: postgres ${indexUs.toFixed(0)} µs CPU; ${((performance.now() - tI) / 1000).toFixed(1)} s wall`,
  );
  figures.push(`index_pg_us=${indexUs.toFixed(0)}`);
  console.log(
    `bench: scenario=sendpath messages_per_size=${o.messages} ${figures.join(" ")} elapsed=${((Date.now() - startedAt) / 1000).toFixed(0)}s`,
  );
  return 0;
}
