import { describe, expect, it } from "vitest";
import { frameText, Push } from "./push.ts";

/** Decodes one unmasked server frame (RFC 6455 §5.2) back into its text. */
function decode(frame: Buffer): { fin: boolean; opcode: number; text: string } {
  const fin = (frame[0]! & 0x80) !== 0;
  const opcode = frame[0]! & 0x0f;
  expect(frame[1]! & 0x80).toBe(0); // servers never mask
  let length = frame[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    length = frame.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    length = frame.readUInt32BE(2) * 2 ** 32 + frame.readUInt32BE(6);
    offset = 10;
  }
  expect(frame.length).toBe(offset + length);
  return { fin, opcode, text: frame.subarray(offset).toString("utf8") };
}

describe("frameText", () => {
  it.each([0, 1, 125, 126, 65_535, 65_536, 200_000])("frames %i bytes as one final text frame", (n) => {
    const text = "x".repeat(n);
    expect(decode(frameText(text))).toEqual({ fin: true, opcode: 1, text });
  });

  it("counts UTF-8 bytes, not characters", () => {
    const text = `{"t":"🌴 ${"é".repeat(70)}"}`;
    expect(decode(frameText(text)).text).toBe(text);
  });
});

describe("Push", () => {
  it("frames its text once and hands out the same buffer", () => {
    const push = new Push('{"type":"pong"}');
    expect(push.wire).toBe(push.wire);
    expect(decode(push.wire).text).toBe('{"type":"pong"}');
    expect(push.header).toBeNull();
  });
});
