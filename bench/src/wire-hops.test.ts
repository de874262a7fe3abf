import assert from "node:assert/strict";
import { test } from "vitest";
import { clientFrame } from "./raw-ws.ts";
import { describeHops, nextFrame, readCapture } from "./wire-hops.ts";

/** An unmasked server text frame. */
function serverFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const head = payload.length < 126 ? Buffer.from([0x81, payload.length]) : Buffer.from([0x81, 126, 0, 0]);
  if (payload.length >= 126) head.writeUInt16BE(payload.length, 2);
  return Buffer.concat([head, payload]);
}

/** One Ethernet/IPv4/TCP packet record of a µs pcap, at `ms`. */
function packet(ms: number, from: number, to: number, payload: Buffer): Buffer {
  const record = Buffer.alloc(16);
  const eth = Buffer.alloc(14);
  const ip = Buffer.alloc(20);
  const tcp = Buffer.alloc(20);
  ip[0] = 0x45;
  ip[9] = 6;
  ip.writeUInt32BE(0x7f000001, 12);
  ip.writeUInt32BE(0x7f000001, 16);
  tcp.writeUInt16BE(from, 0);
  tcp.writeUInt16BE(to, 2);
  tcp[12] = 5 << 4;
  const length = eth.length + ip.length + tcp.length + payload.length;
  record.writeUInt32LE(Math.floor(ms / 1000), 0);
  record.writeUInt32LE(Math.round((ms % 1000) * 1000), 4);
  record.writeUInt32LE(length, 8);
  record.writeUInt32LE(length, 12);
  return Buffer.concat([record, eth, ip, tcp, payload]);
}

function capture(packets: Buffer[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt32LE(1, 20); // Ethernet
  return Buffer.concat([head, ...packets]);
}

test("a masked client frame is unmasked; an incomplete frame waits for more bytes", () => {
  const frame = clientFrame(0x1, Buffer.from("x".repeat(300)));
  assert.equal(nextFrame(frame.subarray(0, 100)), null);
  assert.equal(nextFrame(frame)?.payload.toString(), "x".repeat(300));
  assert.equal(nextFrame(frame)?.rest.length, 0);
});

test("send, ack and delivery packets are matched by message number, across split and joined packets", () => {
  const upgrade = Buffer.from("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
  const upgraded = Buffer.from("HTTP/1.1 101 Switching Protocols\r\n\r\n");
  const send = (k: number) =>
    clientFrame(0x1, Buffer.from(`{"type":"send","id":"${k}","conversationId":"c","body":"b1 ${k} 0 xx"}`));
  const ack = (k: number) => serverFrame(`{"type":"ack","id":"${k}","seq":${k + 1}}`);
  const event = (k: number) => serverFrame(`{"type":"event","payload":{"message":{"body":"b1 ${k} 0 xx"}}}`);
  const twoSends = Buffer.concat([send(1), send(2)]);
  const hops = readCapture(
    capture([
      packet(1_000, 50_000, 3_000, upgrade),
      packet(1_001, 3_000, 50_000, upgraded),
      packet(1_002, 60_000, 3_000, upgrade),
      packet(1_003, 3_000, 60_000, upgraded),
      // Message 1 and 2 leave in one packet; 2's frame is split over two.
      packet(1_010, 50_000, 3_000, twoSends.subarray(0, send(1).length + 10)),
      packet(1_011, 50_000, 3_000, twoSends.subarray(send(1).length + 10)),
      packet(1_014, 3_000, 50_000, ack(1)),
      packet(1_015, 3_000, 60_000, event(1)),
      packet(1_040, 3_000, 50_000, ack(2)),
      packet(1_041, 3_000, 60_000, event(2)),
      // A stream that began before the capture is skipped.
      packet(1_042, 3_000, 61_000, ack(3)),
    ]),
  );
  assert.deepEqual(
    [...hops.sends],
    [
      [1, 1_010],
      [2, 1_011],
    ],
  );
  assert.deepEqual(
    [...hops.acks],
    [
      [1, 1_014],
      [2, 1_040],
    ],
  );
  assert.deepEqual(
    [...hops.deliveries],
    [
      [1, 1_015],
      [2, 1_041],
    ],
  );
  assert.match(describeHops(hops), /send packet → ack packet p50=29\.00ms .* max=29\.00ms over_25ms=50\.00%/);
});
