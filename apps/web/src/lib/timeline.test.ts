import { describe, expect, it } from "vitest";
import {
  dayKey,
  dayLabel,
  inSeqOrder,
  isContinuation,
  isInMainList,
  isSameDay,
  mergeBySeq,
  newClientMsgId,
  newMessagesDividerSeq,
  type TTimelineMessage,
  timelineRows,
  unconfirmed,
} from "./timeline.ts";

const at = (iso: string) => new Date(iso);

function msg(seq: number, over: Partial<TTimelineMessage> = {}): TTimelineMessage {
  return {
    seq,
    senderId: "u1",
    clientMsgId: `c${seq}`,
    editedAt: null,
    deletedAt: null,
    replyCount: 0,
    createdAt: at("2026-01-01T10:00:00Z"),
    ...over,
  };
}

describe("timeline", () => {
  it("orders by seq whatever the arrival order and stores a seq once", () => {
    const bySeq = new Map<number, TTimelineMessage>();
    expect(mergeBySeq(bySeq, [msg(3), msg(1)])).toBe(true);
    expect(mergeBySeq(bySeq, [msg(2), msg(3)])).toBe(true);
    expect(inSeqOrder(bySeq).map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("reports no change when a poll brings the same messages again", () => {
    const bySeq = new Map<number, TTimelineMessage>();
    mergeBySeq(bySeq, [msg(1), msg(2)]);
    expect(mergeBySeq(bySeq, [msg(1), { ...msg(2), createdAt: "2026-01-01T10:00:00.000Z" }])).toBe(false);
  });

  it("replaces a message when it was edited or deleted", () => {
    const bySeq = new Map<number, TTimelineMessage>();
    mergeBySeq(bySeq, [msg(1)]);
    expect(mergeBySeq(bySeq, [msg(1, { editedAt: at("2026-01-01T10:01:00Z") })])).toBe(true);
    expect(bySeq.get(1)?.editedAt).toEqual(at("2026-01-01T10:01:00Z"));
    expect(
      mergeBySeq(bySeq, [
        msg(1, { editedAt: at("2026-01-01T10:01:00Z"), deletedAt: at("2026-01-01T10:02:00Z") }),
      ]),
    ).toBe(true);
  });

  it("hides an outbox entry once its clientMsgId is in history", () => {
    const pending = [{ clientMsgId: "c2" }, { clientMsgId: "c9" }];
    expect(unconfirmed(pending, [msg(1), msg(2)])).toEqual([{ clientMsgId: "c9" }]);
  });

  it("groups consecutive messages of one sender within five minutes", () => {
    const first = msg(1);
    expect(isContinuation(undefined, first)).toBe(false);
    expect(isContinuation(first, msg(2, { createdAt: at("2026-01-01T10:04:59Z") }))).toBe(true);
    expect(isContinuation(first, msg(2, { createdAt: at("2026-01-01T10:05:00Z") }))).toBe(false);
    expect(isContinuation(first, msg(2, { senderId: "u2" }))).toBe(false);
    expect(isContinuation(msg(1, { deletedAt: at("2026-01-01T10:00:01Z") }), msg(2))).toBe(false);
  });

  it("makes v4 UUIDs for clientMsgId", () => {
    const id = newClientMsgId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newClientMsgId()).not.toBe(id);
  });
});

/** A local time (the tests must not depend on the machine's time zone). */
const local = (y: number, mo: number, d: number, h = 12, mi = 0) => new Date(y, mo - 1, d, h, mi);

describe("day separators", () => {
  const now = local(2026, 11, 25, 15);

  it("labels today, yesterday, other days of this year and of other years", () => {
    expect(dayLabel(local(2026, 11, 25, 0, 1), now)).toBe("Today");
    expect(dayLabel(local(2026, 11, 24, 23, 59), now)).toBe("Yesterday");
    expect(dayLabel(local(2026, 11, 23, 9), now)).toBe("Monday, November 23");
    expect(dayLabel(local(2025, 11, 23, 9), now)).toBe("Sunday, November 23, 2025");
    // Yesterday across a month boundary.
    expect(dayLabel(local(2026, 11, 30, 22), local(2026, 12, 1, 8))).toBe("Yesterday");
  });

  it("splits days in the user's time zone when given one", () => {
    // 22:30 UTC on Dec 6 is already Dec 7 in Riyadh (UTC+3) and still Dec 6 in New York.
    const late = new Date(Date.UTC(2026, 11, 6, 22, 30));
    expect(dayKey(late, "UTC")).toBe("2026-12-06");
    expect(dayKey(late, "Asia/Riyadh")).toBe("2026-12-07");
    expect(dayKey(late, "America/New_York")).toBe("2026-12-06");
    const early = new Date(Date.UTC(2026, 11, 6, 20, 0));
    expect(isSameDay(late, early, "UTC")).toBe(true);
    expect(isSameDay(late, early, "Asia/Riyadh")).toBe(false);
    const rows = timelineRows(
      [
        { seq: 1, senderId: "a", createdAt: early.toISOString(), threadRootId: null },
        { seq: 2, senderId: "a", createdAt: late.toISOString(), threadRootId: null },
      ] as unknown as TTimelineMessage[],
      {
        hasMoreBefore: false,
        dividerSeq: null,
        now: late,
        timeZone: "Asia/Riyadh",
        label: (v) => dayKey(v, "Asia/Riyadh"),
      },
    );
    expect(rows.map((r) => r.day)).toEqual(["2026-12-06", "2026-12-07"]);
  });

  it("puts a separator above the first message of each day, and above the very first one only when nothing is older", () => {
    const messages = [
      msg(1, { createdAt: local(2026, 11, 23, 9) }),
      msg(2, { createdAt: local(2026, 11, 23, 9, 1) }),
      msg(3, { createdAt: local(2026, 11, 24, 9) }),
      msg(4, { createdAt: local(2026, 11, 25, 9) }),
    ];
    const rows = timelineRows(messages, { hasMoreBefore: false, dividerSeq: null, now });
    expect(rows.map((r) => r.day)).toEqual(["Monday, November 23", null, "Yesterday", "Today"]);
    const partial = timelineRows(messages, { hasMoreBefore: true, dividerSeq: null, now });
    expect(partial.map((r) => r.day)).toEqual([null, null, "Yesterday", "Today"]);
  });
});

describe("grouping", () => {
  it("starts a new block on a new day even within five minutes", () => {
    const late = msg(1, { createdAt: local(2026, 11, 23, 23, 58) });
    const early = msg(2, { createdAt: local(2026, 11, 24, 0, 1) });
    expect(isContinuation(late, early)).toBe(false);
    expect(isContinuation(late, msg(2, { createdAt: local(2026, 11, 23, 23, 59) }))).toBe(true);
  });

  it("starts a new block below the New messages divider", () => {
    const rows = timelineRows([msg(1), msg(2), msg(3)], { hasMoreBefore: false, dividerSeq: 2 });
    expect(rows.map((r) => [r.isGrouped, r.isFirstNew])).toEqual([
      [false, false],
      [false, true],
      [true, false],
    ]);
  });
});

describe("New messages divider", () => {
  const me = "me";
  const messages = [
    msg(10, { senderId: "u2" }),
    msg(12, { senderId: me }),
    msg(13, { senderId: "u2" }),
    msg(15, { senderId: "u3" }),
    msg(20, { senderId: "u2" }),
  ];

  it("goes above the first message from someone else that was unread at open", () => {
    expect(newMessagesDividerSeq(messages, { readSeq: 10, lastSeq: 15 }, me, true)).toBe(13);
    expect(newMessagesDividerSeq(messages, { readSeq: 0, lastSeq: 15 }, me, false)).toBe(10);
  });

  it("is absent when everything was read, when only own messages were unread and for live arrivals", () => {
    expect(newMessagesDividerSeq(messages, { readSeq: 20, lastSeq: 20 }, me, true)).toBeNull();
    expect(newMessagesDividerSeq(messages.slice(0, 2), { readSeq: 10, lastSeq: 12 }, me, true)).toBeNull();
    // 20 arrived after the conversation was opened: the reader was there.
    expect(newMessagesDividerSeq(messages, { readSeq: 15, lastSeq: 15 }, me, true)).toBeNull();
    expect(newMessagesDividerSeq(messages, null, me, false)).toBeNull();
  });

  it("waits until the loaded history reaches back to a read message", () => {
    // Loaded from 13 on, more before it, read up to 11: an unread message may be older than 13.
    expect(newMessagesDividerSeq(messages.slice(2), { readSeq: 11, lastSeq: 20 }, me, true)).toBeNull();
    expect(newMessagesDividerSeq(messages.slice(2), { readSeq: 11, lastSeq: 20 }, me, false)).toBe(13);
  });
});

describe("isInMainList", () => {
  it("hides thread replies unless they were also sent to the channel", () => {
    expect(isInMainList({ threadRootId: null })).toBe(true);
    expect(isInMainList({ threadRootId: "root" })).toBe(false);
    expect(isInMainList({ threadRootId: "root", alsoInChannel: true } as { threadRootId: string })).toBe(
      true,
    );
  });
});
