/**
 * Delivery reports (the `delivered` command): tell the server the highest seq this device holds
 * per conversation, so the senders of DMs see "delivered". A conversation is noted when another
 * member's message arrives (delivered in order, so every earlier event is held too) and when the
 * app starts tracking it from a seq it fetched. Notes are batched: one frame for every noted
 * conversation at most once per `intervalMs`, kept until acked — a lost socket or a transient
 * refusal puts them back, and they go out again after the next `welcome`.
 */
import { ErrorCode, MAX_SYNC_CURSORS } from "@parley/protocol";
import type { TLink } from "./link.ts";

/** Codes after which the same report can succeed later. */
const TRANSIENT_CODES = new Set<string>([ErrorCode.TooManyRequests, ErrorCode.Internal]);

export class DeliveryReports {
  readonly #link: TLink;
  readonly #intervalMs: number;
  /** Seqs noted and not yet on the wire, per conversation. */
  readonly #pending = new Map<string, number>();
  /** Reports on the wire, by command id, until answered. */
  readonly #inFlight = new Map<string, Record<string, number>>();
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(link: TLink, options: { intervalMs: number }) {
    this.#link = link;
    this.#intervalMs = options.intervalMs;
  }

  /** This device holds every event of `conversationId` up to `seq`. */
  note(conversationId: string, seq: number): void {
    if (seq <= 0) return;
    const before = this.#pending.get(conversationId);
    if (before !== undefined && before >= seq) return;
    this.#pending.set(conversationId, seq);
    this.#schedule();
  }

  /** A new socket: whatever is pending goes out (after the usual wait). */
  onWelcome(): void {
    if (this.#pending.size > 0) this.#schedule();
  }

  /** Reports that were on the lost socket are unanswered: note them again. */
  onSocketLost(): void {
    for (const cursors of this.#inFlight.values()) this.#merge(cursors);
    this.#inFlight.clear();
  }

  /** The server stored the report `id`. */
  onAck(id: string): void {
    this.#inFlight.delete(id);
  }

  /** The report `id` was refused: kept for later when the refusal is transient, else dropped. */
  onError(id: string, code: string): void {
    const cursors = this.#inFlight.get(id);
    this.#inFlight.delete(id);
    if (cursors && TRANSIENT_CODES.has(code)) {
      this.#merge(cursors);
      this.#schedule();
    }
  }

  /** Stops the timer (the client is done). */
  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #merge(cursors: Record<string, number>): void {
    for (const [conversationId, seq] of Object.entries(cursors)) {
      if ((this.#pending.get(conversationId) ?? 0) < seq) this.#pending.set(conversationId, seq);
    }
  }

  #schedule(): void {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => this.#flush(), this.#intervalMs);
  }

  #flush(): void {
    this.#timer = null;
    if (!this.#link.isLive || this.#pending.size === 0) return; // onWelcome reschedules
    const cursors: Record<string, number> = {};
    let count = 0;
    for (const [conversationId, seq] of this.#pending) {
      if (count === MAX_SYNC_CURSORS) break;
      cursors[conversationId] = seq;
      this.#pending.delete(conversationId);
      count += 1;
    }
    const id = this.#link.nextId("d");
    if (this.#link.send({ type: "delivered", id, cursors })) {
      this.#inFlight.set(id, cursors);
      this.#link.pending.set(id, { kind: "delivered" });
    } else {
      this.#merge(cursors);
    }
    if (this.#pending.size > 0) this.#schedule();
  }
}
