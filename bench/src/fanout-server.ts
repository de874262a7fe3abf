/**
 * The fan-out floor (scenarios/fanout.ts): a bare `ws` server with no application logic. Every
 * socket gets `{"type":"welcome"}` on connect (what channel-worker.ts waits for); on the IPC
 * message `{ k, sentAt, seq }` it writes ONE pre-framed frame of `frameBytes` bytes — the bench's
 * message frame, readable by channel-summary.ts — to every open socket, one `write` each, in
 * slices of `slice` sockets per event-loop turn, one FIFO of fan-outs (the gateway's slicing
 * before it had a queue per socket, slices.ts). `warm: true` makes a warm-up frame, whose body
 * the receivers ignore. What the gateway does per delivered frame beyond this is its overhead
 * over the box's floor; what it saves by writing several frames per system call when fan-outs
 * overlap is not in the floor.
 *
 * Argv: `<frameBytes> <slice>`. Prints `listening <port>` once ready.
 */
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";

const frameBytes = Number(process.argv[2] ?? 600);
const slice = Number(process.argv[3] ?? 256);

const sockets: Duplex[] = [];
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, backlog: 2048 });
wss.on("connection", (ws) => {
  ws.send('{"type":"welcome"}');
  ws.on("message", () => {});
  ws.on("error", () => {});
  const tcp = (ws as unknown as { _socket: Duplex })._socket;
  sockets.push(tcp);
  ws.on("close", () => {
    const at = sockets.indexOf(tcp);
    if (at >= 0) sockets.splice(at, 1);
  });
});
wss.on("listening", () => {
  const address = wss.address();
  console.log(`listening ${typeof address === "object" && address ? address.port : address}`);
});

/** One complete unmasked text frame (RFC 6455 §5.2) of exactly `frameBytes` bytes in all. */
function frame(k: number, sentAt: number, seq: number, tag: string): Buffer {
  const head = `{"type":"event","conversationId":"floor","event":{"seq":${seq},"kind":"message.created","payload":{"message":{"body":"${tag} ${k} ${sentAt} `;
  const tail = `"}}}}`;
  const headerBytes = frameBytes - 4 < 65_536 ? 4 : 10;
  const textBytes = Math.max(head.length + tail.length, frameBytes - headerBytes);
  const text = head + "x".repeat(textBytes - head.length - tail.length) + tail;
  const out = Buffer.allocUnsafe(headerBytes + text.length);
  out[0] = 0x81;
  out[1] = 126;
  out.writeUInt16BE(text.length, 2);
  out.write(text, headerBytes, "latin1");
  return out;
}

/** Fan-outs in arrival order, each in slices (one FIFO, as the gateway's). */
const queue: { wire: Buffer; targets: Duplex[]; next: number }[] = [];
let isScheduled = false;
function run(): void {
  isScheduled = false;
  let budget = slice;
  while (budget > 0 && queue.length > 0) {
    const job = queue[0]!;
    const end = Math.min(job.targets.length, job.next + budget);
    for (let i = job.next; i < end; i++) {
      const s = job.targets[i]!;
      if (s.writable) s.write(job.wire);
    }
    budget -= end - job.next;
    job.next = end;
    if (end === job.targets.length) queue.shift();
  }
  if (queue.length > 0 && !isScheduled) {
    isScheduled = true;
    setImmediate(run);
  }
}

process.on("message", (raw) => {
  const m = raw as { k: number; sentAt: number; seq: number; warm?: boolean };
  const wasIdle = queue.length === 0;
  // A warm-up frame's body says "w1": the receivers do not count it.
  const wire = frame(m.k, m.sentAt, m.seq, m.warm ? "w1" : "b1");
  queue.push({ wire, targets: sockets.slice(), next: 0 });
  if (wasIdle) run();
});
process.on("SIGTERM", () => process.exit(0));
process.on("disconnect", () => process.exit(0));
