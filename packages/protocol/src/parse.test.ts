import { describe, expect, it } from "vitest";
import { ErrorCode } from "./errors.ts";
import { MAX_FRAME_BYTES } from "./limits.ts";
import { encodeServerEvent, parseClientFrame, parseServerFrame } from "./parse.ts";
import { PROTOCOL_VERSION } from "./version.ts";

const conversationId = "0193a3c1-6e2f-7c8a-9b1d-2f3e4a5b6c7d";
const clientMsgId = "5b0f8c1e-2d3a-4e5f-8a9b-0c1d2e3f4a5b";

function errorOf(raw: string | Uint8Array) {
  const result = parseClientFrame(raw);
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.command)}`);
  return result;
}

describe("parseClientFrame", () => {
  it("hands every id on in lower case, whatever case it came in (one key per conversation downstream)", () => {
    const upper = conversationId.toUpperCase();
    const send = parseClientFrame(
      JSON.stringify({
        type: "send",
        id: "c1",
        conversationId: upper,
        clientMsgId: clientMsgId.toUpperCase(),
        body: "hi",
      }),
    );
    expect(send).toMatchObject({ ok: true, command: { conversationId, clientMsgId } });
    const sync = parseClientFrame(
      JSON.stringify({
        type: "sync",
        id: "y1",
        cursors: { [upper]: 7, [conversationId]: 4, [clientMsgId.toUpperCase()]: 2 },
      }),
    );
    // Two spellings of one conversation: the lower cursor (the replay sends more, never less).
    expect(sync).toMatchObject({ ok: true, command: { cursors: { [conversationId]: 4, [clientMsgId]: 2 } } });
    const watch = parseClientFrame(JSON.stringify({ type: "watchPresence", id: "w1", userIds: [upper] }));
    expect(watch).toMatchObject({ ok: true, command: { userIds: [conversationId] } });
  });

  it("accepts each command", () => {
    const frames = [
      { type: "hello", protocolVersion: PROTOCOL_VERSION },
      { type: "hello", protocolVersion: 1, cursors: { [conversationId]: 12 }, userCursor: 3 },
      { type: "ping" },
      { type: "ping", id: "p1" },
      { type: "send", id: "c1", conversationId, clientMsgId, body: "hi" },
      { type: "send", id: "c1", conversationId, clientMsgId, body: "hi", threadRootId: clientMsgId },
      {
        type: "send",
        id: "c1",
        conversationId,
        clientMsgId,
        body: "hi",
        threadRootId: clientMsgId,
        alsoInChannel: true,
      },
      { type: "send", id: "c1", conversationId, clientMsgId, body: "", attachmentIds: [clientMsgId] },
      { type: "markRead", id: "c2", conversationId, seq: 7 },
      { type: "typing", conversationId },
    ];
    for (const frame of frames) {
      const result = parseClientFrame(JSON.stringify(frame));
      expect(result, JSON.stringify(frame)).toEqual({ ok: true, command: frame });
    }
  });

  it("accepts the bytes of a text frame", () => {
    const result = parseClientFrame(Buffer.from(JSON.stringify({ type: "ping" })));
    expect(result).toEqual({ ok: true, command: { type: "ping" } });
  });

  it("names bad JSON", () => {
    const result = errorOf("{not json");
    expect(result.error.code).toBe(ErrorCode.BadJson);
    expect(result.error.message).toMatch(/not valid JSON/);
  });

  it("rejects JSON that is not an object", () => {
    for (const raw of ["[]", '"ping"', "null", "42"]) {
      expect(errorOf(raw).error.code, raw).toBe(ErrorCode.BadFrame);
    }
  });

  it("rejects invalid UTF-8 bytes", () => {
    expect(errorOf(new Uint8Array([0x7b, 0xff, 0x7d])).error.code).toBe(ErrorCode.BadFrame);
  });

  it("names a missing type", () => {
    const result = errorOf(JSON.stringify({ id: "x1" }));
    expect(result.error.code).toBe(ErrorCode.InvalidFields);
    expect(result.error.message).toMatch(/^type: required/);
    expect(result.id).toBe("x1");
  });

  it("names an unknown type and lists the known ones", () => {
    const result = errorOf(JSON.stringify({ type: "sned", id: "c9" }));
    expect(result.error.code).toBe(ErrorCode.UnknownType);
    expect(result.error.message).toContain('"sned"');
    expect(result.error.message).toContain("send");
    expect(result.id).toBe("c9");
  });

  it("does not treat inherited object keys as command types", () => {
    expect(errorOf(JSON.stringify({ type: "toString" })).error.code).toBe(ErrorCode.UnknownType);
    expect(errorOf(JSON.stringify({ type: "__proto__" })).error.code).toBe(ErrorCode.UnknownType);
  });

  it("names each missing or wrong field and echoes the command id", () => {
    const result = errorOf(JSON.stringify({ type: "send", id: "c3", conversationId: "nope", body: "" }));
    expect(result.error.code).toBe(ErrorCode.InvalidFields);
    expect(result.id).toBe("c3");
    const paths = result.error.issues?.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["conversationId", "clientMsgId", "body"]));
    expect(result.error.message).toMatch(/^Invalid "send" command: /);
    expect(result.error.message).toContain("clientMsgId");
  });

  it("rejects alsoInChannel without threadRootId and more than 10 attachments", () => {
    const base = { type: "send", id: "c4", conversationId, clientMsgId, body: "hi" };
    const lonely = errorOf(JSON.stringify({ ...base, alsoInChannel: true }));
    expect(lonely.error.issues?.map((i) => i.path)).toEqual(["alsoInChannel"]);
    const many = errorOf(JSON.stringify({ ...base, attachmentIds: Array(11).fill(clientMsgId) }));
    expect(many.error.issues?.map((i) => i.path)).toEqual(["attachmentIds"]);
  });

  it("rejects unknown fields (strict on the server)", () => {
    const result = errorOf(JSON.stringify({ type: "ping", extra: 1 }));
    expect(result.error.code).toBe(ErrorCode.InvalidFields);
    expect(result.error.message).toContain("extra");
  });

  it("rejects negative and fractional seqs", () => {
    for (const seq of [-1, 1.5]) {
      const result = errorOf(JSON.stringify({ type: "markRead", id: "m", conversationId, seq }));
      expect(result.error.issues?.[0]?.path).toBe("seq");
    }
  });

  it("rejects cursors keyed by something other than a conversation id", () => {
    const result = errorOf(JSON.stringify({ type: "hello", protocolVersion: 1, cursors: { general: 1 } }));
    expect(result.error.code).toBe(ErrorCode.InvalidFields);
    expect(result.error.issues?.[0]?.path).toMatch(/^cursors/);
  });

  it("rejects frames over MAX_FRAME_BYTES, counting UTF-8 bytes", () => {
    const ascii = JSON.stringify({ type: "ping", id: "x".repeat(MAX_FRAME_BYTES) });
    expect(errorOf(ascii).error.code).toBe(ErrorCode.FrameTooLarge);
    // Fewer characters than the limit, but three bytes each in UTF-8.
    const wide = "€".repeat(Math.ceil(MAX_FRAME_BYTES / 3) + 1);
    expect(wide.length).toBeLessThan(MAX_FRAME_BYTES);
    expect(errorOf(wide).error.code).toBe(ErrorCode.FrameTooLarge);
    expect(errorOf(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20)).error.code).toBe(ErrorCode.FrameTooLarge);
  });

  it("never throws on hostile input", () => {
    for (const raw of ["", " ", "{", '{"type":1}', '{"type":"send","id":{}}', "\u0000"]) {
      expect(parseClientFrame(raw).ok, raw).toBe(false);
    }
  });
});

describe("parseServerFrame", () => {
  it("round-trips what the server encodes", () => {
    const welcome = {
      type: "welcome",
      protocolVersion: 1,
      userId: "u1",
      connectionId: "c1",
      heartbeatMs: 25_000,
    } as const;
    expect(parseServerFrame(encodeServerEvent(welcome))).toEqual(welcome);
  });

  it("ignores unknown fields (lenient on the client)", () => {
    expect(parseServerFrame(JSON.stringify({ type: "pong", future: true }))).toEqual({ type: "pong" });
  });

  it("returns null for unknown types and garbage instead of throwing", () => {
    expect(parseServerFrame(JSON.stringify({ type: "presence.changed" }))).toBeNull();
    expect(parseServerFrame("nope")).toBeNull();
  });

  it("accepts conversation events of kinds it does not know yet", () => {
    const event = {
      type: "event",
      conversationId,
      seq: 4,
      kind: "poll.voted",
      actorId: null,
      payload: {},
      createdAt: new Date(0).toISOString(),
    };
    expect(parseServerFrame(JSON.stringify(event))).toEqual(event);
  });
});
