/**
 * One receiving process of `channel --generators W` (channel-pool.ts starts it with IPC): it holds
 * a slice of the channel's members, who only receive; the parent keeps the senders and the send
 * times. Frames are read from their bytes (channel-summary.ts), never decoded or JSON.parsed.
 * Requests `{ id, op, … }`, one reply each:
 * - `open { conns: [{ url, token }], localAddress, inFlight }`: opens an authenticated socket per
 *   entry (welcome received, then `hello`) → `{ opened, failed, seconds }`
 * - `start { total }`: a run of messages 0…total-1 begins; from now on, every 50 ms, a
 *   `{ type: "progress", ks, counts, lasts }` message (TProgress) reports what arrived since the last
 * - `stop`: a final progress, then → `{ cpuPct, lagP99, lagMax, latency: [µs, count][], received,
 *   duplicates, outOfOrder, closes }` (CPU and event-loop lag over start…stop)
 * - `close`: terminates every socket and exits.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { PROTOCOL_VERSION } from "@parley/protocol";
import { countLatency, readBenchFrame } from "./channel-summary.ts";
import { mapLimit, nowMs } from "./harness.ts";
import { openRawWs, type TRawWs } from "./raw-ws.ts";

const WELCOME = Buffer.from('"welcome"');

type TSpec = { url: string; token: string };
type TSocket = { ws: TRawWs | null; isOpen: boolean; lastSeq: number; seen: Set<number> };
type TRequest =
  | { id: number; op: "open"; conns: TSpec[]; localAddress?: string; inFlight: number }
  | { id: number; op: "start"; total: number }
  | { id: number; op: "stop" }
  | { id: number; op: "close" };

const FLUSH_EVERY_MS = 50;
const sockets: TSocket[] = [];
let isClosing = false;

/** The current run: per message k, deliveries not yet reported and the latest receive time. */
let run = newRun(0);
function newRun(total: number) {
  return {
    total,
    pending: new Uint16Array(total),
    lastAt: new Float64Array(total),
    dirty: [] as number[],
    latency: new Map<number, number>(),
    received: 0,
    duplicates: 0,
    outOfOrder: 0,
    closes: 0,
    /** Payload bytes of the latest bench frame (the fan-out floor writes frames this large). */
    frameBytes: 0,
  };
}

function onFrame(socket: TSocket, data: Buffer): void {
  const frame = readBenchFrame(data);
  if (!frame) return;
  const now = nowMs();
  const r = run;
  r.frameBytes = data.length;
  // Raw frames, no SDK: count what a client would have to repair, as load.ts does.
  if (socket.seen.has(frame.seq)) r.duplicates += 1;
  else if (frame.seq < socket.lastSeq) r.outOfOrder += 1;
  socket.seen.add(frame.seq);
  if (frame.seq > socket.lastSeq) socket.lastSeq = frame.seq;
  const { k } = frame;
  if (!(k < r.total)) return;
  if (r.pending[k] === 0) r.dirty.push(k);
  r.pending[k] = (r.pending[k] ?? 0) + 1;
  r.lastAt[k] = now;
  r.received += 1;
  countLatency(r.latency, now - frame.sentAt);
}

function flush(): void {
  const r = run;
  if (r.dirty.length === 0) return;
  const ks = r.dirty;
  r.dirty = [];
  const counts = ks.map((k) => r.pending[k] ?? 0);
  const lasts = ks.map((k) => r.lastAt[k] ?? 0);
  for (const k of ks) r.pending[k] = 0;
  process.send?.({ type: "progress", ks, counts, lasts });
}

function openOne(spec: TSpec, localAddress: string | undefined): Promise<boolean> {
  // Raw frames off node:net (raw-ws.ts): `ws`'s client cost ≈ 12 µs of CPU per frame here.
  const socket: TSocket = { ws: null, isOpen: false, lastSeq: 0, seen: new Set() };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.ws?.terminate();
      resolve(false);
    }, 30_000);
    openRawWs({
      url: spec.url,
      headers: { Authorization: `Bearer ${spec.token}` },
      ...(localAddress ? { localAddress } : {}),
      onMessage: (data) => {
        if (!socket.isOpen) {
          if (data.indexOf(WELCOME) < 0) return;
          socket.isOpen = true;
          clearTimeout(timer);
          socket.ws?.sendText(JSON.stringify({ type: "hello", protocolVersion: PROTOCOL_VERSION }));
          sockets.push(socket);
          resolve(true);
          return;
        }
        onFrame(socket, data);
      },
      onClose: () => {
        if (socket.isOpen && !isClosing) run.closes += 1;
        socket.isOpen = false;
      },
    }).then(
      (ws) => {
        socket.ws = ws;
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}

let measuring:
  | { cpu0: NodeJS.CpuUsage; t0: number; loop: ReturnType<typeof monitorEventLoopDelay> }
  | undefined;
let flusher: NodeJS.Timeout | undefined;

function start(total: number): void {
  run = newRun(total);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  measuring = { cpu0: process.cpuUsage(), t0: nowMs(), loop };
  flusher = setInterval(flush, FLUSH_EVERY_MS);
}

function stop() {
  clearInterval(flusher);
  flush();
  const m = measuring;
  if (!m) throw new Error("stop without start");
  measuring = undefined;
  const cpu = process.cpuUsage(m.cpu0);
  const wall = (nowMs() - m.t0) / 1000;
  m.loop.disable();
  return {
    cpuPct: ((cpu.user + cpu.system) / 1e6 / Math.max(wall, 0.001)) * 100,
    lagP99: Math.max(0, m.loop.percentile(99) / 1e6 - 5),
    lagMax: Math.max(0, m.loop.max / 1e6 - 5),
    latency: [...run.latency],
    received: run.received,
    duplicates: run.duplicates,
    outOfOrder: run.outOfOrder,
    closes: run.closes,
    frameBytes: run.frameBytes,
  };
}

process.on("message", (raw) => {
  const request = raw as TRequest;
  const reply = (body: Record<string, unknown>) => process.send?.({ id: request.id, ...body });
  void (async () => {
    try {
      if (request.op === "open") {
        const t0 = nowMs();
        const results = await mapLimit(request.conns, request.inFlight, (spec) =>
          openOne(spec, request.localAddress),
        );
        const opened = results.filter(Boolean).length;
        reply({ opened, failed: results.length - opened, seconds: (nowMs() - t0) / 1000 });
      } else if (request.op === "start") {
        start(request.total);
        reply({});
      } else if (request.op === "stop") {
        reply(stop());
      } else if (request.op === "close") {
        isClosing = true;
        for (const s of sockets) s.ws?.terminate();
        reply({});
        setTimeout(() => process.exit(0), 50);
      }
    } catch (err) {
      reply({ error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
// Never outlive the bench that started us.
process.on("disconnect", () => process.exit(0));
