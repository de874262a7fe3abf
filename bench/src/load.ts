/**
 * The load generator: authenticated raw `ws` sockets speaking protocol frames, an open-loop
 * sender scheduled by the wall clock (never waiting for acks) and the per-message bookkeeping
 * (send→ack at the sender, send→receive at every receiver; the send time travels in the body).
 * Arrays indexed by message number k keep the hot path allocation-free.
 *
 * The sockets are raw-ws.ts's (frames straight off `node:net`), as the channel receivers' and the
 * peer's raw-XMPP generator are: `ws`'s client cost ≈ 12 µs of CPU per frame, and a dm message is
 * three frames here (the send, its ack, the delivery), on the same two cores as the server.
 */
import { randomUUID } from "node:crypto";
import { createHistogram } from "node:perf_hooks";
import { PROTOCOL_VERSION } from "@parley/protocol";
import { mapLimit, nowMs, record, sleep, type TGatewayProcess } from "./harness.ts";
import { openRawWs, type TRawWs } from "./raw-ws.ts";
import { cleaningUp } from "./run.ts";
import type { TWorld } from "./world.ts";

/** Bookkeeping of one traffic run of `total` messages. */
export type TLoad = ReturnType<typeof createLoad>;

export function createLoad(total: number) {
  return {
    total,
    sentAt: new Float64Array(total),
    ackedAt: new Float64Array(total),
    failed: new Uint8Array(total),
    deliveredCount: new Uint16Array(total),
    /** When the latest receiver got message k (send → last member). */
    lastAt: new Float64Array(total),
    ackLatency: createHistogram(),
    deliveryLatency: createHistogram(),
    scheduleLag: createHistogram(),
    errorsByCode: new Map<string, number>(),
    counters: {
      sent: 0,
      notSent: 0,
      acked: 0,
      failed: 0,
      delivered: 0,
      selfEcho: 0,
      duplicates: 0,
      outOfOrder: 0,
      unexpectedCloses: 0,
      foreignFrames: 0,
      expected: 0,
      lastDeliveryAt: 0,
    },
    /** Set after the drain: sockets closing from then on are expected. */
    isDone: false,
  };
}

/** The run the sockets currently report to (several runs can share one set of sockets). */
let current: TLoad = createLoad(0);
export function useLoad(load: TLoad): void {
  current = load;
}

export type TConn = {
  index: number;
  ws: TRawWs;
  userId: string;
  /** Highest seq received and every seq received (one conversation per connection). */
  lastSeq: number;
  seen: Set<number>;
  isOpen: boolean;
};

/** A string field of a flat JSON text after `key` (no escapes expected in bench values). */
function field(raw: string, key: string): string | undefined {
  const at = raw.indexOf(key);
  if (at < 0) return undefined;
  const start = at + key.length;
  const end = raw.indexOf('"', start);
  return end < 0 ? undefined : raw.slice(start, end);
}

/**
 * The bench's own message events without JSON.parse: with 10,000 receivers the generator would
 * otherwise spend its CPU parsing and measure itself. Falls back to JSON.parse when unsure.
 */
function onEventFast(conn: TConn, raw: string): boolean {
  if (!raw.includes('"type":"event"') || !raw.includes('"kind":"message.created"')) return false;
  const body = field(raw, '"body":"');
  const senderId = field(raw, '"senderId":"');
  const seqAt = raw.indexOf('"seq":');
  if (body === undefined || senderId === undefined || seqAt < 0) return false;
  const seq = Number.parseInt(raw.slice(seqAt + 6, seqAt + 20), 10);
  if (!Number.isInteger(seq)) return false;
  onMessageEvent(conn, seq, body, senderId);
  return true;
}

function onMessageEvent(conn: TConn, seq: number, body: string, senderId: string | undefined): void {
  const load = current;
  const { counters, total } = load;
  const now = nowMs();
  // Raw frames, no SDK: count what a client would have to repair (the SDK buffers and dedups).
  if (conn.seen.has(seq)) counters.duplicates += 1;
  else if (seq < conn.lastSeq) counters.outOfOrder += 1;
  conn.seen.add(seq);
  if (seq > conn.lastSeq) conn.lastSeq = seq;
  const parts = body.split(" ");
  if (parts[0] !== "b1") return;
  const k = Number(parts[1]);
  if (!(k >= 0 && k < total)) return;
  if (senderId === conn.userId) {
    counters.selfEcho += 1;
    return;
  }
  load.deliveredCount[k] = (load.deliveredCount[k] ?? 0) + 1;
  load.lastAt[k] = now;
  counters.delivered += 1;
  counters.lastDeliveryAt = now;
  record(load.deliveryLatency, now - Number(parts[2]));
}

const ACK_PREFIX = '{"type":"ack","id":"';

/** An ack of message k (the gateway writes type and id first), without JSON.parse. */
function onAck(load: TLoad, k: number): void {
  if (!(k >= 0 && k < load.total) || load.ackedAt[k]) return;
  const now = nowMs();
  load.ackedAt[k] = now;
  load.counters.acked += 1;
  record(load.ackLatency, now - load.sentAt[k]!);
}

function onFrame(conn: TConn, raw: string): void {
  if (raw.startsWith(ACK_PREFIX)) {
    const end = raw.indexOf('"', ACK_PREFIX.length);
    const k = end < 0 ? Number.NaN : Number(raw.slice(ACK_PREFIX.length, end));
    if (Number.isInteger(k)) {
      onAck(current, k);
      return;
    }
  }
  if (onEventFast(conn, raw)) return;
  const load = current;
  const { counters, total } = load;
  let frame: {
    type?: string;
    id?: string;
    kind?: string;
    seq?: number;
    code?: string;
    payload?: { message?: { body?: string; senderId?: string } };
  };
  try {
    frame = JSON.parse(raw);
  } catch {
    counters.foreignFrames += 1;
    return;
  }
  switch (frame.type) {
    case "ack":
      onAck(load, Number(frame.id));
      return;
    case "error": {
      const code = frame.code ?? "?";
      load.errorsByCode.set(code, (load.errorsByCode.get(code) ?? 0) + 1);
      const k = Number(frame.id);
      if (frame.id !== undefined && k >= 0 && k < total && !load.failed[k] && !load.ackedAt[k]) {
        load.failed[k] = 1;
        counters.failed += 1;
      }
      return;
    }
    case "event": {
      if (frame.kind !== "message.created") return;
      const message = frame.payload?.message;
      onMessageEvent(conn, frame.seq ?? 0, message?.body ?? "", message?.senderId);
      return;
    }
    default:
      return;
  }
}

function sendHello(ws: TRawWs): void {
  ws.sendText(JSON.stringify({ type: "hello", protocolVersion: PROTOCOL_VERSION }));
}

/** Opens sockets for connection indexes [from, to), each as its own user, after its welcome. */
export async function openConnections(
  world: TWorld,
  gateways: TGatewayProcess[],
  from: number,
  to: number,
): Promise<TConn[]> {
  // Each loopback source address gives its own ~28k ephemeral ports; spread when that matters.
  const sourceAddresses = Math.max(1, Math.ceil(world.userIds.length / 20_000));
  let refused = 0;
  const indexes = Array.from({ length: to - from }, (_, i) => from + i);
  const conns = await mapLimit(indexes, 100, async (index) => {
    const gateway = gateways[index % gateways.length]!;
    const conn = {
      index,
      ws: null as TRawWs | null,
      userId: world.userIds[index]!,
      lastSeq: 0,
      seen: new Set<number>(),
      isOpen: false,
    };
    const isOpen = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        conn.ws?.terminate();
        resolve(false);
      }, 20_000);
      openRawWs({
        url: gateway.url,
        headers: { Authorization: `Bearer ${world.tokens[index]}` },
        ...(sourceAddresses > 1 ? { localAddress: `127.0.0.${1 + (index % sourceAddresses)}` } : {}),
        onMessage: (data) => {
          const text = data.toString();
          if (!conn.isOpen) {
            if (!text.includes('"welcome"')) return;
            conn.isOpen = true;
            clearTimeout(timer);
            // The welcome can come in the upgrade's own chunk, before `then` below has the socket.
            if (conn.ws) sendHello(conn.ws);
            resolve(true);
            return;
          }
          onFrame(conn as TConn, text);
        },
        onClose: () => {
          if (conn.isOpen && !cleaningUp() && !current.isDone) current.counters.unexpectedCloses += 1;
          conn.isOpen = false;
        },
      }).then(
        (ws) => {
          conn.ws = ws;
          if (conn.isOpen) sendHello(ws);
        },
        (err: unknown) => {
          clearTimeout(timer);
          console.error(
            `bench: connection ${index} refused: ${err instanceof Error ? err.message : String(err)}`,
          );
          resolve(false);
        },
      );
    });
    if (!isOpen) refused += 1;
    return conn as TConn;
  });
  if (refused > 0) throw new Error(`${refused} of ${to - from} connections failed to open`);
  return conns;
}

/**
 * Open loop: message k is due at t0 + k/rate and leaves from `senderOf(k)` into its conversation
 * whether or not earlier ones were acked. Resolves when all `load.total` are sent (or skipped).
 */
export async function sendOpenLoop(
  load: TLoad,
  options: {
    rate: number;
    senderOf: (k: number) => TConn;
    conversationOf: (conn: TConn) => string;
    receivers: (k: number) => number;
    /** The body's first word: "b1" is measured; anything else (the warm-up's "w1") every receiver ignores. */
    tag?: string;
  },
): Promise<{ t0: number; sendSeconds: number }> {
  const tag = options.tag ?? "b1";
  const { counters, total } = load;
  const { rate } = options;
  const t0 = nowMs();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = nowMs();
      const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000) + 1);
      while (counters.sent + counters.notSent < due) {
        const k = counters.sent + counters.notSent;
        const conn = options.senderOf(k);
        const intended = t0 + (k * 1000) / rate;
        const at = nowMs();
        record(load.scheduleLag, at - intended);
        if (!conn.isOpen) {
          counters.notSent += 1;
          continue;
        }
        load.sentAt[k] = at;
        conn.ws.sendText(
          `{"type":"send","id":"${k}","conversationId":"${options.conversationOf(conn)}","clientMsgId":"${randomUUID()}","body":"${tag} ${k} ${at.toFixed(3)} ${"x".repeat(24)}"}`,
        );
        counters.sent += 1;
        counters.expected += options.receivers(k);
      }
      if (counters.sent + counters.notSent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  return { t0, sendSeconds: (nowMs() - t0) / 1000 };
}

/** Waits up to `drainS` for every send to be answered and every expected delivery to arrive. */
export async function drain(load: TLoad, drainS: number): Promise<void> {
  const { counters } = load;
  const drainUntil = nowMs() + drainS * 1000;
  while (nowMs() < drainUntil) {
    if (counters.acked + counters.failed >= counters.sent && counters.delivered >= counters.expected) break;
    await sleep(20);
  }
  load.isDone = true;
}
