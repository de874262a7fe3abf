/**
 * Idle memory per socket: one gateway in this process (memory engine, the database in
 * DATABASE_URL), N idle authenticated sockets opened from a child process (100 at a time), and the
 * heap and RSS growth per socket, each the median of five samples taken after forced GCs. A first
 * connect/close cycle of 300 sockets warms code, pools and caches up before the baseline.
 *
 *   N=5000 node scripts/with-test-db.mjs node --expose-gc --import tsx bench/src/idle-heap.ts
 *
 * HEAP_SNAPSHOT_DIR=dir also writes before/after heap snapshots there (compare them in DevTools).
 * Users are synthetic ids without memberships: this measures the gateway's own per-socket cost.
 */
import { fork } from "node:child_process";
import { writeHeapSnapshot } from "node:v8";
import { MemoryEngine } from "@parley/core";
import { createDb } from "@parley/db";
import { createGateway } from "@parley/gateway";
import pino from "pino";
import { WebSocket } from "ws";

const N = Number(process.env.N ?? 5000);
if (process.argv[2] === "client") {
  const url = process.argv[3]!;
  const offset = Number(process.argv[4] ?? 0);
  const socks: WebSocket[] = [];
  const openOne = (i: number) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(`${url}?u=${i}`, { perMessageDeflate: false });
      ws.on("message", () => {});
      ws.on("open", () => resolve());
      ws.on("error", () => {
        setTimeout(() => void openOne(i).then(resolve), 200);
      });
      socks.push(ws);
    });
  for (let i = 0; i < N; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, N - i) }, (_, k) => openOne(offset + i + k)));
  }
  process.send!("open");
  process.on("message", () => {
    for (const ws of socks) ws.terminate();
    setTimeout(() => process.exit(0), 200);
  });
} else {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc (see the header of bench/src/idle-heap.ts)");
  if (!process.env.DATABASE_URL)
    throw new Error("DATABASE_URL is required (run under scripts/with-test-db.mjs)");
  const db = createDb(process.env.DATABASE_URL!);
  const engine = new MemoryEngine();
  const gateway = await createGateway({
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "warn" }),
    authenticate: async (req) => {
      const u = new URL(req.url!, "http://x").searchParams.get("u")!;
      return { userId: `00000000-0000-7000-8000-${u.padStart(12, "0")}`, role: "member" } as never;
    },
    delivery: { engine, db },
  });
  const sample = async () => {
    const heaps: number[] = [];
    const rss: number[] = [];
    for (let k = 0; k < 5; k++) {
      gc();
      await new Promise((r) => setTimeout(r, 100));
      gc();
      const m = process.memoryUsage();
      heaps.push(m.heapUsed);
      rss.push(m.rss);
    }
    heaps.sort((a, b) => a - b);
    rss.sort((a, b) => a - b);
    return { heap: heaps[2]!, rss: rss[2]! };
  };
  const clients = (n: number, offset: number) => {
    const child = fork(process.argv[1]!, ["client", `ws://127.0.0.1:${gateway.port}/ws`, String(offset)], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, N: String(n) },
    });
    return new Promise<typeof child>((r) => child.once("message", () => r(child)));
  };
  // Warm up: one connect/close cycle so code and pools exist before the baseline.
  const warm = await clients(300, 900_000);
  warm.send("bye");
  while (gateway.connectionCount > 0) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1000));
  const before = await sample();
  const snapshots = process.env.HEAP_SNAPSHOT_DIR;
  if (snapshots) writeHeapSnapshot(`${snapshots}/before.heapsnapshot`);
  const child = await clients(N, 0);
  while (gateway.connectionCount < N) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2000)); // let delivery.open finish everywhere
  const after = await sample();
  if (snapshots) writeHeapSnapshot(`${snapshots}/after.heapsnapshot`);
  console.log(
    `sockets=${gateway.connectionCount} heap/socket=${((after.heap - before.heap) / N / 1024).toFixed(2)} KB rss/socket=${((after.rss - before.rss) / N / 1024).toFixed(2)} KB (heap ${(before.heap / 1e6).toFixed(0)}→${(after.heap / 1e6).toFixed(0)} MB, rss ${(before.rss / 1e6).toFixed(0)}→${(after.rss / 1e6).toFixed(0)} MB)`,
  );
  child.send("bye");
  await gateway.close({ timeoutMs: 2000 });
  await engine.close();
  await db.$disconnect();
  process.exit(0);
}
