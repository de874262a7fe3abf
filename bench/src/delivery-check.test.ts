import type { ParleyClient } from "@parley/client";
import { describe, expect, it } from "vitest";
import { checkDelivery } from "./delivery-check.ts";
import type { TReceiver, TStoredMessage } from "./sdk-clients.ts";

const C = "conv";
const row = (seq: number): TStoredMessage => ({
  conversationId: C,
  seq,
  clientMsgId: `m${seq}`,
  senderId: "s",
  body: `chaos s ${seq}`,
});
const rows = [1, 2, 3, 4].map(row);
const acked = new Map(rows.map((r) => [r.clientMsgId, r.seq]));
const sent = new Set(rows.map((r) => r.clientMsgId));

/** A receiver holding `seqs`, its SDK cursor at `cursor`. */
function receiver(seqs: number[], cursor: number): TReceiver {
  return {
    userId: "receiver-1",
    conversationId: C,
    client: { cursor: () => cursor } as unknown as ParleyClient,
    log: seqs.map((seq) => ({ seq, clientMsgId: `m${seq}`, senderId: "s", body: `chaos s ${seq}` })),
  };
}

describe("checkDelivery at the receivers", () => {
  it("a message the cursor passed without delivering is lost, settled or not", () => {
    for (const receiversMayLag of [false, true]) {
      const d = checkDelivery(rows, acked, sent, [receiver([1, 3, 4], 4)], { receiversMayLag });
      expect(d).toMatchObject({ lost: 1, lostAtReceivers: 1, behindAtReceivers: 0 });
    }
  });

  it("messages above the cursor are lost once settled, and only behind after a timed-out drain", () => {
    const settled = checkDelivery(rows, acked, sent, [receiver([1, 2], 2)]);
    expect(settled).toMatchObject({ lost: 2, lostAtReceivers: 2, behindAtReceivers: 0 });
    const draining = checkDelivery(rows, acked, sent, [receiver([1, 2], 2)], { receiversMayLag: true });
    expect(draining).toMatchObject({ lost: 0, lostAtReceivers: 0, behindAtReceivers: 2 });
  });

  it("a complete log is clean, and a repeated message is a duplicate", () => {
    expect(checkDelivery(rows, acked, sent, [receiver([1, 2, 3, 4], 4)])).toMatchObject({
      lost: 0,
      duplicated: 0,
      reordered: 0,
    });
    expect(checkDelivery(rows, acked, sent, [receiver([1, 2, 2, 3, 4], 4)]).duplicated).toBe(1);
  });
});
