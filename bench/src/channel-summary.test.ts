/**
 * Pure-logic checks of the multi-process channel run: reading the bench's frame from its bytes,
 * merging receiver processes' progress into last-member times, latency buckets, member slices.
 */
import assert from "node:assert/strict";
import { createHistogram } from "node:perf_hooks";
import { test } from "vitest";
import { receiverSlices } from "./channel-pool.ts";
import {
  countLatency,
  latencyBucket,
  mergeProgress,
  readBenchFrame,
  recordBuckets,
} from "./channel-summary.ts";
import { createLoad } from "./load.ts";

const frame = (body: string, seq = 42) =>
  Buffer.from(
    JSON.stringify({
      type: "event",
      conversationId: "c1",
      seq,
      kind: "message.created",
      actorId: "u1",
      payload: { message: { id: "m1", seq, body, senderId: "u1", clientMsgId: "x" } },
      createdAt: "2026-12-05T12:00:00.000Z",
    }),
  );

test("reads message number, send time and seq of a bench frame from its bytes", () => {
  assert.deepEqual(readBenchFrame(frame("b1 17 1733400000123.456 xxxx", 9)), {
    k: 17,
    sentAt: 1733400000123.456,
    seq: 9,
  });
});

test("ignores frames that are not bench messages", () => {
  assert.equal(readBenchFrame(frame("hello there")), undefined);
  assert.equal(readBenchFrame(Buffer.from('{"type":"pong","id":"p1"}')), undefined);
  assert.equal(readBenchFrame(frame("b1 x 12 y")), undefined);
  assert.equal(readBenchFrame(frame("b1 3 notatime y")), undefined);
  // A warm-up message (`--warmup`): well formed, but never counted.
  assert.equal(readBenchFrame(frame("w1 17 1733400000123.456 xxxx", 9)), undefined);
});

test("last member is the latest receive over processes and deliveries add up", () => {
  const load = createLoad(3);
  load.deliveredCount[0] = 2; // the senders' own process got message 0 twice already
  load.lastAt[0] = 1000;
  load.counters.delivered = 2;
  load.counters.lastDeliveryAt = 1000;
  mergeProgress(load, { ks: [0, 1], counts: [5, 3], lasts: [1040, 1100] });
  mergeProgress(load, { ks: [0], counts: [4], lasts: [1020] });
  mergeProgress(load, { ks: [1], counts: [2], lasts: [1150] });
  assert.deepEqual([...load.deliveredCount], [11, 5, 0]);
  assert.deepEqual([...load.lastAt], [1040, 1150, 0]);
  assert.equal(load.counters.delivered, 16);
  assert.equal(load.counters.lastDeliveryAt, 1150);
});

test("progress for a message outside the run changes nothing", () => {
  const load = createLoad(2);
  mergeProgress(load, { ks: [2, -1], counts: [1, 1], lasts: [5, 5] });
  assert.deepEqual([...load.deliveredCount], [0, 0]);
  assert.equal(load.counters.delivered, 0);
});

test("latency buckets keep three significant digits and replay into a histogram", () => {
  assert.equal(latencyBucket(0.2), 1);
  assert.equal(latencyBucket(987), 987);
  assert.equal(latencyBucket(12_345), 12_300);
  assert.equal(latencyBucket(1_234_567), 1_230_000);
  const buckets = new Map<number, number>();
  for (const ms of [12.34, 12.31, 250.4]) countLatency(buckets, ms);
  assert.deepEqual(
    [...buckets],
    [
      [12_300, 2],
      [250_000, 1],
    ],
  );
  const h = createHistogram();
  recordBuckets(h, [...buckets]);
  assert.equal(h.count, 3);
  // The histogram keeps 3 significant digits of its own.
  assert.ok(Math.abs(h.max - 250_000) / 250_000 < 0.005, `max ${h.max}`);
});

test("receiver slices cover every non-sender member once", () => {
  assert.deepEqual(receiverSlices(50, 2000, 3), [
    [50, 700],
    [700, 1350],
    [1350, 2000],
  ]);
  assert.deepEqual(receiverSlices(2, 2, 2), [
    [2, 2],
    [2, 2],
  ]);
});
