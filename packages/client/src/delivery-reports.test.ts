import type { TClientCommand } from "@parley/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DeliveryReports } from "./delivery-reports.ts";
import type { TLink } from "./link.ts";

function fakeLink() {
  const sent: TClientCommand[] = [];
  let n = 0;
  const link: TLink = {
    isLive: true,
    pending: new Map(),
    nextId: (prefix) => `${prefix}${++n}`,
    send: (command) => {
      sent.push(command);
      return true;
    },
  };
  const reports = () => sent.filter((c) => c.type === "delivered");
  return { link, sent, reports };
}

const A = "01900000-0000-7000-8000-00000000000a";
const B = "01900000-0000-7000-8000-00000000000b";

describe("DeliveryReports", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("batches notes into one report per interval, keeping each conversation's highest seq", () => {
    const { link, reports } = fakeLink();
    const d = new DeliveryReports(link, { intervalMs: 1000 });
    for (let seq = 1; seq <= 50; seq++) d.note(A, seq);
    d.note(B, 7);
    vi.advanceTimersByTime(999);
    expect(reports()).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(reports()).toEqual([{ type: "delivered", id: "d1", cursors: { [A]: 50, [B]: 7 } }]);
    // Nothing new: nothing sent.
    vi.advanceTimersByTime(5000);
    expect(reports()).toHaveLength(1);
  });

  it("resends what a lost socket carried after the next welcome, and nothing once acked", () => {
    const { link, reports } = fakeLink();
    const d = new DeliveryReports(link, { intervalMs: 1000 });
    d.note(A, 3);
    vi.advanceTimersByTime(1000);
    expect(reports()).toHaveLength(1);
    link.isLive = false;
    d.onSocketLost();
    link.isLive = true;
    d.onWelcome();
    vi.advanceTimersByTime(1000);
    expect(reports()).toHaveLength(2);
    expect(reports()[1]).toMatchObject({ cursors: { [A]: 3 } });
    d.onAck((reports()[1] as { id: string }).id);
    d.onSocketLost();
    d.onWelcome();
    vi.advanceTimersByTime(5000);
    expect(reports()).toHaveLength(2);
  });

  it("waits for a live socket, retries transient refusals and drops permanent ones", () => {
    const { link, reports } = fakeLink();
    link.isLive = false;
    const d = new DeliveryReports(link, { intervalMs: 1000 });
    d.note(A, 2);
    vi.advanceTimersByTime(3000);
    expect(reports()).toHaveLength(0);
    link.isLive = true;
    d.onWelcome();
    vi.advanceTimersByTime(1000);
    expect(reports()).toHaveLength(1);
    d.onError("d1", "INTERNAL");
    vi.advanceTimersByTime(1000);
    expect(reports()).toHaveLength(2);
    d.onError("d2", "BAD_REQUEST");
    vi.advanceTimersByTime(5000);
    expect(reports()).toHaveLength(2);
  });

  it("ignores seq 0 and seqs not above what is already noted", () => {
    const { link, reports } = fakeLink();
    const d = new DeliveryReports(link, { intervalMs: 10 });
    d.note(A, 0);
    vi.advanceTimersByTime(100);
    expect(reports()).toHaveLength(0);
  });
});
