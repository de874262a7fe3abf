/**
 * Where a dm message's time went, seen on the wire: reads a loopback capture of a bench run's
 * WebSocket traffic and prints, per measured message (body `b1 k …`), the time from its `send`
 * frame's packet to its `ack`'s packet (the gateway's side: socket queue, event loop and send path)
 * and to the first delivery's packet. Compared with the bench's own send→ack figures it splits the
 * tail between the gateway and the generator (docs/performance.md, eighteenth round).
 *
 *   tcpdump -i lo -s 0 -B 65536 -w /tmp/ws.pcap 'tcp and not port 5432 and not port 6379' &
 *   npm run bench -- --scenario dm --connections 1000 --rate 2400 --duration 15 --warmup 3
 *   kill %1; node --import tsx bench/src/wire-hops.ts /tmp/ws.pcap
 *
 * Start the capture before the bench: each connection's stream is followed from its HTTP upgrade.
 * Reads classic pcap (µs or ns timestamps) of Ethernet or Linux cooked links, IPv4/TCP in order.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { frameAt } from "./raw-ws.ts";

/** One WebSocket frame's payload (unmasked), `rest` the bytes after it; null while incomplete. */
export function nextFrame(buf: Buffer): { payload: Buffer; rest: Buffer } | null {
  const frame = frameAt(buf, 0);
  if (!frame) return null;
  let payload = buf.subarray(frame.start, frame.end);
  if (frame.maskAt !== null) {
    const mask = buf.subarray(frame.maskAt, frame.maskAt + 4);
    payload = Buffer.from(payload);
    for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i & 3]!;
  }
  return { payload, rest: buf.subarray(frame.end) };
}

type TFlow = { buf: Buffer; isUpgrading: boolean; isToServer: boolean };
export type THops = {
  sends: Map<number, number>;
  acks: Map<number, number>;
  deliveries: Map<number, number>;
};

const SEND = /^\{"type":"send","id":"(\d+)"/;
const ACK = /^\{"type":"ack","id":"(\d+)"/;
const MEASURED = '"body":"b1 ';

function onFrame(hops: THops, payload: Buffer, atMs: number, isToServer: boolean): void {
  const text = payload.toString("latin1", 0, Math.min(payload.length, 512));
  if (isToServer) {
    const send = SEND.exec(text);
    if (send && text.includes(MEASURED)) hops.sends.set(Number(send[1]), atMs);
    return;
  }
  const ack = ACK.exec(text);
  if (ack) {
    hops.acks.set(Number(ack[1]), atMs);
    return;
  }
  const at = text.indexOf(MEASURED);
  if (at < 0) return;
  const k = Number(text.slice(at + MEASURED.length, text.indexOf(" ", at + MEASURED.length)));
  if (Number.isInteger(k) && !hops.deliveries.has(k)) hops.deliveries.set(k, atMs);
}

/** The send, ack and first-delivery packet times (ms) of every measured message in a capture. */
export function readCapture(file: Buffer): THops {
  const magic = file.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error("not a little-endian classic pcap file");
  const isNano = magic === 0xa1b23c4d;
  const link = file.readUInt32LE(20);
  const linkHeader = link === 1 ? 14 : link === 113 ? 16 : link === 276 ? 20 : -1;
  if (linkHeader < 0) throw new Error(`link type ${link} is not Ethernet or Linux cooked`);
  const hops: THops = { sends: new Map(), acks: new Map(), deliveries: new Map() };
  const flows = new Map<string, TFlow | null>();
  for (let at = 24; at + 16 <= file.length; ) {
    const atMs = file.readUInt32LE(at) * 1000 + file.readUInt32LE(at + 4) / (isNano ? 1e6 : 1e3);
    const ip = at + 16 + linkHeader;
    const end = at + 16 + file.readUInt32LE(at + 8);
    at = end;
    if (file[ip + 9] !== 6) continue; // TCP only
    const tcp = ip + (file[ip]! & 0x0f) * 4;
    const payload = file.subarray(tcp + (file[tcp + 12]! >> 4) * 4, end);
    if (payload.length === 0) continue;
    const key = `${file.readUInt32BE(ip + 12)}:${file.readUInt16BE(tcp)}>${file.readUInt32BE(ip + 16)}:${file.readUInt16BE(tcp + 2)}`;
    let flow = flows.get(key);
    if (flow === undefined) {
      // A stream is followed from its upgrade (GET …, HTTP/1.1 101 …); anything else is skipped.
      const start = payload.toString("latin1", 0, 4);
      flow =
        start === "GET " || start === "HTTP"
          ? { buf: Buffer.alloc(0), isUpgrading: true, isToServer: start === "GET " }
          : null;
      flows.set(key, flow);
    }
    if (flow === null) continue;
    flow.buf = flow.buf.length > 0 ? Buffer.concat([flow.buf, payload]) : Buffer.from(payload);
    if (flow.isUpgrading) {
      const headEnd = flow.buf.indexOf("\r\n\r\n");
      if (headEnd < 0) continue;
      flow.buf = flow.buf.subarray(headEnd + 4);
      flow.isUpgrading = false;
    }
    for (let frame = nextFrame(flow.buf); frame; frame = nextFrame(flow.buf)) {
      onFrame(hops, frame.payload, atMs, flow.isToServer);
      flow.buf = frame.rest;
    }
  }
  return hops;
}

function percentile(sorted: readonly number[], q: number): string {
  if (sorted.length === 0) return "-";
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
}

/** The printed summary of `hops`. */
export function describeHops(hops: THops): string {
  const toAck: number[] = [];
  const toDelivery: number[] = [];
  for (const [k, sentAt] of hops.sends) {
    const ackAt = hops.acks.get(k);
    if (ackAt !== undefined) toAck.push(ackAt - sentAt);
    const deliveredAt = hops.deliveries.get(k);
    if (deliveredAt !== undefined) toDelivery.push(deliveredAt - sentAt);
  }
  toAck.sort((a, b) => a - b);
  toDelivery.sort((a, b) => a - b);
  const over25 = toAck.length > 0 ? (toAck.filter((ms) => ms > 25).length / toAck.length) * 100 : 0;
  return [
    `wire: sends=${hops.sends.size} acks=${hops.acks.size} delivered=${hops.deliveries.size}`,
    `wire: send packet → ack packet p50=${percentile(toAck, 0.5)}ms p99=${percentile(toAck, 0.99)}ms p999=${percentile(toAck, 0.999)}ms max=${percentile(toAck, 1)}ms over_25ms=${over25.toFixed(2)}%`,
    `wire: send packet → first delivery packet p50=${percentile(toDelivery, 0.5)}ms p99=${percentile(toDelivery, 0.99)}ms max=${percentile(toDelivery, 1)}ms`,
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const path = process.argv[2];
  if (!path) {
    console.error("usage: node --import tsx bench/src/wire-hops.ts <capture.pcap>");
    process.exit(2);
  }
  console.log(describeHops(readCapture(readFileSync(path))));
}
