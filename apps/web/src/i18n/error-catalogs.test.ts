import { INVITE_REFUSALS } from "@parley/core";
import { describe, expect, it } from "vitest";
import { catalogText } from "./error-catalogs";
import ar from "./server-errors/ar.json";

describe("catalogText (server components)", () => {
  it("shows an invite refusal in Arabic from the catalog, and leaves English as the server said it", async () => {
    const expired = INVITE_REFUSALS.expired;
    const arabic = (ar as Record<string, string>)[expired];
    expect(arabic).toEqual(expect.any(String));
    expect(await catalogText("ar", expired, expired)).toBe(arabic);
    expect(await catalogText("en", expired, expired)).toBe(expired);
  });

  it("falls back to the English text for a template the catalog lacks", async () => {
    expect(await catalogText("ar", "No such template", "No such template")).toBe("No such template");
  });
});
