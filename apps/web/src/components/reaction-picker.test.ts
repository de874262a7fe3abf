import { describe, expect, it } from "vitest";
import { popoverPosition } from "./reaction-picker";

const viewport = { width: 1280, height: 800 };

describe("popoverPosition", () => {
  it("opens below the quick picker, right-aligned with it, when there is room", () => {
    expect(popoverPosition({ left: 900, right: 1200, top: 100, bottom: 140 }, viewport)).toEqual({
      left: 1200 - 368,
      top: 144,
    });
  });

  it("opens above when there is no room below, and stays inside the window", () => {
    expect(popoverPosition({ left: 900, right: 1279, top: 700, bottom: 740 }, viewport)).toEqual({
      left: 1280 - 368 - 8,
      top: 700 - 352 - 4,
    });
    expect(
      popoverPosition({ left: 0, right: 100, top: 200, bottom: 600 }, { width: 390, height: 700 }),
    ).toEqual({
      left: 8,
      top: 8,
    });
  });
});
