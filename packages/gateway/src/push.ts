/**
 * Pushes: one server frame on its way to many sockets. The text is encoded once upstream (core's
 * fan-out); here it is framed for the wire once (a complete unmasked WebSocket text frame, RFC 6455
 * §5.2) the first time a socket needs it, and that same Buffer is then written to every socket —
 * one `write` per socket, no per-socket encoding, header or copy.
 *
 * The direct write goes to the very stream `ws` writes to (the upgraded socket), which is safe
 * while no extension transforms frames: the gateway never negotiates permessage-deflate, and a
 * socket that has any extension gets `ws.send(text)` instead. `ws` writes synchronously when no
 * extension is active, so frames from both paths keep their order.
 */
import { metrics, type TBusHeader } from "@parley/core";

/** A frame to deliver, with its bus envelope when it is a log entry (see BusHeader). */
export class Push {
  private framed: Buffer | null = null;

  constructor(
    /** The JSON text of the server frame. */
    readonly text: string,
    /** The envelope (log entries only): what resume floors and membership tracking read. */
    readonly header: TBusHeader | null = null,
  ) {}

  /** The complete WebSocket frame (header + payload), built once on first use. */
  get wire(): Buffer {
    this.framed ??= frameText(this.text);
    return this.framed;
  }
}

let deliverSeconds: ReturnType<typeof metrics>["sendDeliverSeconds"] | undefined;

/**
 * Times a log entry from its commit to this gateway writing it (parley_send_deliver_seconds), once
 * per bus message however many sockets it goes to. Clocks of other hosts may run behind: ≥ 0.
 */
export function observeDelivery(header: TBusHeader | null | undefined): void {
  if (header?.type !== "event" || header.at === undefined) return;
  deliverSeconds ??= metrics().sendDeliverSeconds;
  deliverSeconds.observe(Math.max(0, Date.now() - header.at) / 1000);
}

/** Frames `text` as one final, unmasked WebSocket text frame (what a server sends). */
export function frameText(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const headerBytes = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerBytes + length);
  out[0] = 0x81; // FIN + opcode 1 (text)
  if (headerBytes === 2) {
    out[1] = length;
  } else if (headerBytes === 4) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  out.write(text, headerBytes, "utf8");
  return out;
}
