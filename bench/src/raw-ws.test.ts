import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { afterEach, test } from "vitest";
import { WebSocketServer } from "ws";
import { clientFrame, openRawWs, readServerFrames } from "./raw-ws.ts";

let server: WebSocketServer | undefined;
afterEach(() => server?.close());

function listen(): Promise<number> {
  return new Promise((resolve) => {
    server = new WebSocketServer({ host: "127.0.0.1", port: 0 }, () =>
      resolve((server!.address() as AddressInfo).port),
    );
  });
}

test("frames split anywhere across chunks are read whole, in order; incomplete tails are kept", () => {
  // Three server frames: 5 bytes, 300 bytes (16-bit length), 70,000 bytes (64-bit length).
  const sizes = [5, 300, 70_000];
  const frames = sizes.map((n, i) => {
    const head = n < 126 ? Buffer.from([0x81, n]) : n < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
    if (n >= 126 && n < 65_536) {
      head[0] = 0x81;
      head[1] = 126;
      head.writeUInt16BE(n, 2);
    } else if (n >= 65_536) {
      head[0] = 0x81;
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(n), 2);
    }
    return Buffer.concat([head, Buffer.alloc(n, 97 + i)]);
  });
  const all = Buffer.concat(frames);
  for (const cut of [1, 2, 3, 7, 8, 305, 310, all.length - 1]) {
    const got: number[] = [];
    let rest = all.subarray(0, cut);
    const used = readServerFrames(rest, (_op, p) => got.push(p.length));
    rest = Buffer.concat([rest.subarray(used), all.subarray(cut)]);
    readServerFrames(rest, (_op, p) => got.push(p.length));
    assert.deepEqual(got, sizes, `cut at ${cut}`);
  }
  assert.throws(() => readServerFrames(Buffer.from([0x81, 0x81, 0, 0, 0, 0, 1]), () => {}), /masked/);
});

test("against a real ws server: upgrade with headers, text both ways, ping answered, close seen", async () => {
  const port = await listen();
  const seen: string[] = [];
  const headersSeen = new Promise<string | undefined>((resolve) =>
    server!.once("connection", (ws, req) => {
      resolve(req.headers.authorization);
      ws.on("message", (data) => seen.push(String(data)));
      ws.on("pong", (data) => seen.push(`pong:${data}`));
      ws.send("first");
      ws.send("x".repeat(70_000));
      ws.ping("p1");
    }),
  );
  const received: string[] = [];
  let closed = false;
  const client = await openRawWs({
    url: `ws://127.0.0.1:${port}/ws`,
    headers: { Authorization: "Bearer t" },
    onMessage: (p) => received.push(p.length > 100 ? `len:${p.length}` : String(p)),
    onClose: () => {
      closed = true;
    },
  });
  assert.equal(await headersSeen, "Bearer t");
  client.sendText('{"type":"hello"}');
  for (let i = 0; i < 100 && (received.length < 2 || seen.length < 2); i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(received, ["first", "len:70000"]);
  assert.deepEqual(seen.sort(), ["pong:p1", '{"type":"hello"}']);
  for (const ws of server!.clients) ws.close(1000, "bye");
  for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(closed, true);
  // A refused upgrade is an error, not a hang.
  await assert.rejects(
    openRawWs({
      url: `http://127.0.0.1:${port}/`,
      headers: { "Sec-WebSocket-Version": "99" },
      onMessage: () => {},
      onClose: () => {},
    }),
    /upgrade refused/,
  );
  assert.equal(clientFrame(1, Buffer.from("hi"))[1]! & 0x80, 0x80);
});
