import { ParleyError } from "@parley/core";
import { ErrorCode } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import { toErrorFrame } from "./commands.ts";

describe("toErrorFrame", () => {
  it("forwards domain errors with their code and message", () => {
    expect(toErrorFrame(new ParleyError("FORBIDDEN", "Not a member"))).toEqual({
      code: ErrorCode.Forbidden,
      message: "Not a member",
    });
  });

  it("hides unexpected failures behind INTERNAL", () => {
    const frame = toErrorFrame(new Error("connection string postgres://secret@db"));
    expect(frame.code).toBe(ErrorCode.Internal);
    expect(frame.message).not.toContain("secret");
  });
});
