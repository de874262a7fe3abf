import { describe, expect, it } from "vitest";
import { isUuid, uuidv7 } from "../src/ids.ts";

describe("uuidv7", () => {
  it("is an RFC 9562 version-7 UUID whose first 48 bits are the millisecond timestamp", () => {
    const now = Date.UTC(2026, 11, 5, 9, 30, 0, 123);
    const id = uuidv7(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)).toBe(now);
    expect(isUuid(id)).toBe(true);
  });

  it("sorts by creation time and is unique", () => {
    const ids = Array.from({ length: 2000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 10_000 }, () => uuidv7())).size).toBe(10_000);
  });
});
