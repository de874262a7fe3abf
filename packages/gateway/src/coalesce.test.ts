import { Writable } from "node:stream";
import { setImmediate as turn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { WriteCoalescer } from "./coalesce.ts";

/** A socket stand-in that records each system-call-sized write (writev = one call, many chunks). */
function recordingSocket() {
  const calls: string[][] = [];
  const socket = new Writable({
    write(chunk: Buffer, _enc, cb) {
      calls.push([chunk.toString()]);
      cb();
    },
    writev(chunks, cb) {
      calls.push(chunks.map((c) => String(c.chunk)));
      cb();
    },
  });
  return { socket, calls };
}

describe("WriteCoalescer", () => {
  it("sends every frame of one event-loop turn to a socket in one write, in order", async () => {
    const coalescer = new WriteCoalescer();
    const a = recordingSocket();
    const b = recordingSocket();
    coalescer.write(a.socket, Buffer.from("ack"));
    coalescer.write(b.socket, Buffer.from("event"));
    coalescer.write(a.socket, Buffer.from("echo"));
    expect(a.calls).toEqual([]);
    await turn();
    expect(a.calls).toEqual([["ack", "echo"]]);
    expect(b.calls).toEqual([["event"]]);
    expect(a.socket.writableCorked).toBe(0);
  });

  it("starts afresh on the next turn", async () => {
    const coalescer = new WriteCoalescer();
    const a = recordingSocket();
    coalescer.write(a.socket, Buffer.from("1"));
    await turn();
    coalescer.write(a.socket, Buffer.from("2"));
    await turn();
    expect(a.calls).toEqual([["1"], ["2"]]);
  });
});
