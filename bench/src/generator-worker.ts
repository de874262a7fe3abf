/**
 * One load-generator process of a multi-process run (generator-pool.ts starts it with IPC).
 * A process may hold only ~19,000 sockets (20,000 open files), so 100,000 sockets take several.
 *
 * Source addresses: socket j binds `<sourcePrefix><1 + j mod 250>` (generator k of idle uses
 * 127.0.(k+2).1…250), ~80 sockets per address. Binding all of a process's sockets to ONE address
 * made every connect slower than the last: bind() with port 0 searches that address's used
 * ephemeral ports, 1.7 ms of kernel time per connect at 15,000 sockets (0.17 ms at 2,500; not
 * binding at all: 0.54 ms at 15,000, one destination's 4-tuples searched likewise); over 250
 * addresses it stays ≈ 0.1 ms, which is what let 100,000 sockets open.
 *
 * Requests `{ id, op, … }`, one reply each:
 * - `open { conns: [{ url, token, userId, conversationId }], sourcePrefix, inFlight }`: opens an
 *   authenticated socket per entry (welcome received, then `hello`) → `{ opened, failed, seconds }`
 * - `trickle { rate, durationS, pingEveryMs }`: socket k mod n sends into its conversation (its DM
 *   with its pair, which sits in this process too) at `rate`; pings one socket every `pingEveryMs`
 *   → `{ sent, acked, delivered, errors, closes, delivery: ms[], ping: ms[], cpuPct, lagP99 }`
 * - `count` (answered while an `open` runs): `{ opened, failed }` so far, for the progress lines
 * - `close`: terminates every socket and exits.
 */
import { randomUUID } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { PROTOCOL_VERSION } from "@parley/protocol";
import WebSocket from "ws";
import { mapLimit, nowMs, sleep } from "./harness.ts";

type TSpec = { url: string; token: string; userId: string; conversationId: string };
type TSocket = { ws: WebSocket; spec: TSpec; isOpen: boolean };
type TRequest =
  | { id: number; op: "open"; conns: TSpec[]; sourcePrefix?: string; inFlight: number }
  | { id: number; op: "trickle"; rate: number; durationS: number; pingEveryMs: number }
  | { id: number; op: "count" }
  | { id: number; op: "close" };

const sockets: TSocket[] = [];
const stats = {
  acked: 0,
  delivered: 0,
  errors: 0,
  closes: 0,
  delivery: [] as number[],
  ping: [] as number[],
};
const pingSentAt = new Map<string, number>();
/** Source addresses per generator (see the header): few sockets on each keeps bind() cheap. */
const SOURCE_ADDRESSES = 250;
let nextSource = 0;
let isClosing = false;
let failedToOpen = 0;

function onMessage(socket: TSocket, raw: string): void {
  if (raw.startsWith('{"type":"ack"')) {
    stats.acked += 1;
    return;
  }
  if (raw.startsWith('{"type":"pong"')) {
    const id = /"id":"([^"]+)"/.exec(raw)?.[1];
    const at = id ? pingSentAt.get(id) : undefined;
    if (id && at !== undefined) {
      stats.ping.push(nowMs() - at);
      pingSentAt.delete(id);
    }
    return;
  }
  if (raw.startsWith('{"type":"error"')) {
    stats.errors += 1;
    return;
  }
  const bodyAt = raw.indexOf('"body":"t1 ');
  if (bodyAt < 0 || raw.includes(`"senderId":"${socket.spec.userId}"`)) return;
  const sentAt = Number(raw.slice(bodyAt + 11, raw.indexOf(" ", bodyAt + 11)));
  stats.delivered += 1;
  stats.delivery.push(nowMs() - sentAt);
}

function openOne(spec: TSpec, localAddress: string | undefined): Promise<boolean> {
  const ws = new WebSocket(spec.url, {
    headers: { Authorization: `Bearer ${spec.token}` },
    perMessageDeflate: false,
    ...(localAddress ? { localAddress } : {}),
  });
  const socket: TSocket = { ws, spec, isOpen: false };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(false);
    }, 30_000);
    ws.on("error", () => {});
    ws.once("unexpected-response", () => {
      clearTimeout(timer);
      resolve(false);
    });
    ws.on("message", (data) => {
      const text = String(data);
      if (!socket.isOpen && text.includes('"welcome"')) {
        socket.isOpen = true;
        clearTimeout(timer);
        ws.send(JSON.stringify({ type: "hello", protocolVersion: PROTOCOL_VERSION }));
        sockets.push(socket);
        resolve(true);
        return;
      }
      onMessage(socket, text);
    });
    ws.on("close", () => {
      if (socket.isOpen && !isClosing) stats.closes += 1;
      socket.isOpen = false;
    });
  });
}

async function trickle(rate: number, durationS: number, pingEveryMs: number) {
  stats.acked = stats.delivered = stats.errors = 0;
  stats.delivery = [];
  stats.ping = [];
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const total = Math.floor(rate * durationS);
  const t0 = nowMs();
  let sent = 0;
  let pings = 0;
  const n = sockets.length;
  const pinger = setInterval(() => {
    const socket = sockets[(pings * 7919) % n];
    const id = `p${pings++}`;
    if (!socket?.isOpen) return;
    pingSentAt.set(id, nowMs());
    socket.ws.send(`{"type":"ping","id":"${id}"}`);
  }, pingEveryMs);
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((nowMs() - t0) * rate) / 1000) + 1);
      while (sent < due) {
        // Spread over the sockets: a prime stride visits them all without hammering neighbours.
        const socket = sockets[(sent * 104_729) % n]!;
        sent += 1;
        if (!socket.isOpen) continue;
        socket.ws.send(
          `{"type":"send","id":"t${sent}","conversationId":"${socket.spec.conversationId}","clientMsgId":"${randomUUID()}","body":"t1 ${nowMs().toFixed(3)} x"}`,
        );
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  clearInterval(pinger);
  const until = nowMs() + 5000;
  while ((stats.acked + stats.errors < sent || stats.delivered < stats.acked) && nowMs() < until)
    await sleep(50);
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  const wall = (nowMs() - t0) / 1000;
  return {
    sent,
    acked: stats.acked,
    delivered: stats.delivered,
    errors: stats.errors,
    closes: stats.closes,
    delivery: stats.delivery,
    ping: stats.ping,
    cpuPct: ((cpu.user + cpu.system) / 1e6 / wall) * 100,
    lagP99: Math.max(0, loop.percentile(99) / 1e6 - 5),
  };
}

process.on("message", (raw) => {
  const request = raw as TRequest;
  const reply = (body: Record<string, unknown>) => process.send?.({ id: request.id, ...body });
  void (async () => {
    try {
      if (request.op === "open") {
        const t0 = nowMs();
        const prefix = request.sourcePrefix;
        const results = await mapLimit(request.conns, request.inFlight, async (spec) => {
          const source = prefix ? `${prefix}${1 + (nextSource++ % SOURCE_ADDRESSES)}` : undefined;
          const isOpen = await openOne(spec, source);
          if (!isOpen) failedToOpen += 1;
          return isOpen;
        });
        const opened = results.filter(Boolean).length;
        reply({ opened, failed: results.length - opened, seconds: (nowMs() - t0) / 1000 });
      } else if (request.op === "count") {
        reply({ opened: sockets.length, failed: failedToOpen });
      } else if (request.op === "trickle") {
        reply(await trickle(request.rate, request.durationS, request.pingEveryMs));
      } else if (request.op === "close") {
        isClosing = true;
        for (const s of sockets) s.ws.terminate();
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
