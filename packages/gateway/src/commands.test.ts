import { ParleyError, parseInput, ZSendMessage } from "@parley/core";
import { ErrorCode, ErrorReason } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import { toErrorFrame } from "./commands.ts";

describe("toErrorFrame", () => {
  it("forwards domain errors with their code and message", () => {
    expect(toErrorFrame(new ParleyError("FORBIDDEN", "Not a member"))).toEqual({
      code: ErrorCode.Forbidden,
      message: "Not a member",
      template: "Not a member",
    });
  });

  it("carries a refusal's template and params, so clients can translate it", () => {
    const refusal = new ParleyError("CONFLICT", "A channel named #{name} already exists", {
      params: { name: "general" },
    });
    expect(toErrorFrame(refusal)).toEqual({
      code: ErrorCode.Conflict,
      message: "A channel named #general already exists",
      template: "A channel named #{name} already exists",
      params: { name: "general" },
    });
  });

  it("carries a refusal's reason, and has none when core gave none", () => {
    const refusal = new ParleyError("FORBIDDEN", "Only admins", { reason: ErrorReason.BroadcastRestricted });
    expect(toErrorFrame(refusal)).toEqual({
      code: ErrorCode.Forbidden,
      message: "Only admins",
      reason: ErrorReason.BroadcastRestricted,
      template: "Only admins",
    });
    expect(toErrorFrame(new ParleyError("FORBIDDEN", "Not a member"))).not.toHaveProperty("reason");
  });

  it("gives a refusal by core's input schema its issues by field, as frame validation does", () => {
    let refusal: unknown;
    try {
      parseInput(ZSendMessage, { conversationId: "general", clientMsgId: crypto.randomUUID(), body: "" });
    } catch (err) {
      refusal = err;
    }
    expect(toErrorFrame(refusal)).toMatchObject({
      code: ErrorCode.BadRequest,
      message: expect.stringContaining("conversationId: must be a UUID"),
      issues: [
        { path: "conversationId", message: "must be a UUID" },
        { path: "body", message: expect.stringMatching(/^is empty/) },
      ],
    });
    // A domain refusal without a schema behind it has no issues.
    expect(toErrorFrame(new ParleyError("BAD_REQUEST", "Not an upload of yours"))).not.toHaveProperty(
      "issues",
    );
  });

  it("hides unexpected failures behind INTERNAL", () => {
    const frame = toErrorFrame(new Error("connection string postgres://secret@db"));
    expect(frame.code).toBe(ErrorCode.Internal);
    expect(frame.message).not.toContain("secret");
    // A fresh id per failure, quoted in the message, for the log line that holds the details.
    expect(frame.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(frame.message).toBe(
      `Something went wrong on the server; retrying is safe (request id ${frame.requestId})`,
    );
    expect(frame.template).toBe(
      "Something went wrong on the server; retrying is safe (request id {requestId})",
    );
    expect(frame.params).toEqual({ requestId: frame.requestId });
    expect(toErrorFrame(new Error("again")).requestId).not.toBe(frame.requestId);
  });
});
