/**
 * Write coalescing: every frame written to a socket during one turn of the event loop leaves in
 * ONE system call. The first write of a turn corks the socket; one `setImmediate` per turn uncorks
 * every socket written to. A sender's ack and the echo of its own message (same batch commit, same
 * turn) then share one write, and a busy gateway makes far fewer syscalls — on loopback each one
 * costs the kernel's delivery to the receiver too. The delay is at most the rest of the turn.
 */
import type { Writable } from "node:stream";

export class WriteCoalescer {
  private readonly corked = new Set<Writable>();
  private isScheduled = false;

  /** Writes `data` to `socket`, corked until the end of this event-loop turn. */
  write(socket: Writable, data: Buffer): void {
    if (!this.corked.has(socket)) {
      socket.cork();
      this.corked.add(socket);
      if (!this.isScheduled) {
        this.isScheduled = true;
        setImmediate(this.flush);
      }
    }
    socket.write(data);
  }

  /** Uncorks every socket written to since the last flush (their bytes go out now). */
  readonly flush = (): void => {
    this.isScheduled = false;
    for (const socket of this.corked) socket.uncork();
    this.corked.clear();
  };
}
