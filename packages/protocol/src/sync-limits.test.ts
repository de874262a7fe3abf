/** Issue 9, defect 10: `sync`/`hello` carry at most MAX_SYNC_CURSORS cursors; `synced` lists unreadable ones once. */
import { describe, expect, it } from "vitest";
import { ErrorCode } from "./errors.ts";
import { MAX_SYNC_CURSORS } from "./limits.ts";
import { parseClientFrame, parseServerFrame } from "./parse.ts";

const uuid = (i: number) => `0193a3c1-6e2f-7c8a-9b1d-${i.toString(16).padStart(12, "0")}`;
const cursorsOf = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [uuid(i), 0]));

describe("cursor cap", () => {
  it("accepts MAX_SYNC_CURSORS cursors in sync and hello", () => {
    const cursors = cursorsOf(MAX_SYNC_CURSORS);
    expect(parseClientFrame(JSON.stringify({ type: "sync", id: "s", cursors })).ok).toBe(true);
    expect(parseClientFrame(JSON.stringify({ type: "hello", protocolVersion: 1, cursors })).ok).toBe(true);
  });

  it("refuses one more with a single INVALID_FIELDS issue naming cursors", () => {
    const cursors = cursorsOf(MAX_SYNC_CURSORS + 1);
    for (const frame of [
      { type: "sync", id: "s", cursors },
      { type: "hello", protocolVersion: 1, cursors },
    ]) {
      const result = parseClientFrame(JSON.stringify(frame));
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.error.code).toBe(ErrorCode.InvalidFields);
      expect(result.error.issues).toEqual([
        {
          path: "cursors",
          message: `at most ${MAX_SYNC_CURSORS} cursors per frame; sync the rest separately`,
        },
      ]);
    }
  });

  it("reports bad cursors in one issue, however many there are", () => {
    const cursors: Record<string, unknown> = { [uuid(1)]: 1 };
    for (let i = 0; i < MAX_SYNC_CURSORS - 1; i++) cursors[`x${i}`] = "?";
    const raw = JSON.stringify({ type: "sync", id: "s", cursors });
    const result = parseClientFrame(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.issues).toEqual([
      {
        path: "cursors",
        message: `${MAX_SYNC_CURSORS - 1} cursor(s) are not a conversation id (UUID) → seq (integer ≥ 0), e.g. "x0"`,
      },
    ]);
    expect(JSON.stringify(result.error).length).toBeLessThan(500);
    expect(parseClientFrame(JSON.stringify({ type: "sync", id: "s", cursors: [] })).ok).toBe(false);
    expect(parseClientFrame(JSON.stringify({ type: "sync", id: "s", cursors: { [uuid(1)]: -1 } })).ok).toBe(
      false,
    );
  });
});

describe("synced.notFound", () => {
  it("is decoded by clients, and optional", () => {
    const base = { type: "synced", id: "s", conversations: [], userSeq: 0, userStatus: "ok" };
    expect(parseServerFrame(JSON.stringify({ ...base, notFound: [uuid(1)] }))).toMatchObject({
      notFound: [uuid(1)],
    });
    expect(parseServerFrame(JSON.stringify(base))).toEqual(base);
  });
});
