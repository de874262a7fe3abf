/**
 * A receive-mostly WebSocket client on `node:net`, for the bench's receiving processes: 10,000
 * members × 10 msg/s is 100,000 frames a second on the same two cores as the server, and `ws`'s
 * client (a Writable parser, an event per frame, UTF-8 checks) spent ≈ 12 µs of CPU per frame —
 * the generator measured itself. This reads frames straight off the socket's chunks (RFC 6455
 * §5.2: server frames are unmasked), answers pings, and sends the few client frames masked, as
 * the peer's raw-XMPP generator does for ejabberd (peer/xmpp.ts).
 *
 * Not a general client: no extensions, no fragmented messages (the gateway never fragments),
 * frames up to 2^53 bytes.
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

export type TRawWsOptions = {
  url: string;
  headers?: Record<string, string>;
  localAddress?: string;
  /** Every text or binary frame's payload (a view into the chunk: copy it to keep it). */
  onMessage: (payload: Buffer) => void;
  onClose: () => void;
};

export type TRawWs = { sendText(text: string): void; terminate(): void; readonly socket: Socket };

const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;

/** A masked client frame (RFC 6455 §5.3): every frame a client sends must be masked. */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const lenBytes = n < 126 ? 0 : n < 65_536 ? 2 : 8;
  const out = Buffer.allocUnsafe(2 + lenBytes + 4 + n);
  out[0] = 0x80 | opcode;
  if (lenBytes === 0) out[1] = 0x80 | n;
  else if (lenBytes === 2) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  const maskAt = 2 + lenBytes;
  randomBytes(4).copy(out, maskAt);
  for (let i = 0; i < n; i++) out[maskAt + 4 + i] = payload[i]! ^ out[maskAt + (i & 3)]!;
  return out;
}

/**
 * Where the frame starting at `at` lies (RFC 6455 §5.2), or null while it is incomplete: its
 * opcode, its mask key's offset (null for an unmasked frame) and its payload's [start, end).
 */
export function frameAt(
  buf: Buffer,
  at: number,
): { opcode: number; maskAt: number | null; start: number; end: number } | null {
  if (buf.length - at < 2) return null;
  const b1 = buf[at + 1]!;
  let len = b1 & 0x7f;
  let head = 2;
  if (len === 126) {
    if (buf.length - at < 4) return null;
    len = buf.readUInt16BE(at + 2);
    head = 4;
  } else if (len === 127) {
    if (buf.length - at < 10) return null;
    len = Number(buf.readBigUInt64BE(at + 2));
    head = 10;
  }
  const maskAt = b1 & 0x80 ? at + head : null;
  const start = at + head + (maskAt === null ? 0 : 4);
  if (buf.length < start + len) return null;
  return { opcode: buf[at]! & 0x0f, maskAt, start, end: start + len };
}

/**
 * Reads complete server frames from `buf` starting at 0; calls `onFrame` for each and returns the
 * bytes consumed (the rest is an incomplete frame to keep for the next chunk).
 */
export function readServerFrames(buf: Buffer, onFrame: (opcode: number, payload: Buffer) => void): number {
  let at = 0;
  for (let frame = frameAt(buf, 0); frame; frame = frameAt(buf, at)) {
    if (frame.maskAt !== null) throw new Error("a server frame must not be masked");
    onFrame(frame.opcode, buf.subarray(frame.start, frame.end));
    at = frame.end;
  }
  return at;
}

/** Opens a socket, does the HTTP upgrade, then streams frames to `onMessage`. */
export function openRawWs(options: TRawWsOptions): Promise<TRawWs> {
  const url = new URL(options.url);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: url.hostname,
      port: Number(url.port || 80),
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    socket.setNoDelay(true);
    let isUpgraded = false;
    let rest: Buffer | null = null;
    let isClosed = false;
    const client: TRawWs = {
      socket,
      sendText: (text) => {
        if (!socket.destroyed) socket.write(clientFrame(OP_TEXT, Buffer.from(text)));
      },
      terminate: () => socket.destroy(),
    };
    const onFrame = (opcode: number, payload: Buffer) => {
      if (opcode === OP_TEXT || opcode === OP_BINARY) options.onMessage(payload);
      else if (opcode === OP_PING) socket.write(clientFrame(0xa, Buffer.from(payload)));
      else if (opcode === OP_CLOSE) socket.end(clientFrame(OP_CLOSE, Buffer.from(payload.subarray(0, 2))));
    };
    socket.on("data", (chunk: Buffer) => {
      let buf = rest ? Buffer.concat([rest, chunk]) : chunk;
      rest = null;
      if (!isUpgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) {
          rest = buf;
          return;
        }
        const status = buf.toString("latin1", 0, buf.indexOf("\r\n"));
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        isUpgraded = true;
        buf = buf.subarray(end + 4);
        resolve(client);
      }
      const used = readServerFrames(buf, onFrame);
      // Copy the tail: keeping a view would pin the whole chunk.
      if (used < buf.length) rest = Buffer.from(buf.subarray(used));
    });
    socket.on("error", (err) => {
      if (!isUpgraded) reject(err);
    });
    socket.on("close", () => {
      if (isClosed) return;
      isClosed = true;
      if (!isUpgraded) reject(new Error("closed before the upgrade"));
      else options.onClose();
    });
    socket.on("connect", () => {
      const headers = {
        Host: url.host,
        Upgrade: "websocket",
        Connection: "Upgrade",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
        "Sec-WebSocket-Version": "13",
        ...options.headers,
      };
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
      socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`);
    });
  });
}
