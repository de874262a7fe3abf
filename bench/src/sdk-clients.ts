/**
 * What chaos.ts and the storm scenario share: clients built on the SDK's ParleyClient (outbox +
 * resend with the same clientMsgId, cursors, `hello` resume, gap repair, reconnect with
 * full-jitter backoff), receivers that log every message event, the drain wait, and the check
 * of those logs against the database (nothing acked lost, nothing duplicated or reordered).
 * Bodies are `c1 <sender> <n>`: n counts each sender's messages, so typed order is checkable.
 */
import { ParleyClient, type TWebSocketConstructor } from "@parley/client";
import { EventKind } from "@parley/protocol";
import type pg from "pg";
import WebSocket from "ws";
import { sleep } from "./harness.ts";

/**
 * `ws` with an error listener that is never removed. ParleyConnection clears `onerror` before
 * closing a socket that is still connecting (its connect timeout); `ws` then emits "error" with no
 * listener, which crashes a Node process (browsers just drop it). Remove once the SDK keeps one.
 */
class SafeWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    this.on("error", () => {});
  }
}

/** What a harness may tune on its SDK clients beyond the short timings below. */
export type TSdkClientTuning = {
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  maxSendRetries?: number;
};

/** A sender: its client, its conversation, and how many messages it has typed. */
export type TSdkSender = { client: ParleyClient; conversationId: string; index: number; n: number };

/** What an SDK traffic run has sent, had acked (seq) and had refused (reason). */
export type TSdkTraffic = {
  sentIds: Set<string>;
  acked: Map<string, number>;
  refused: Map<string, string>;
  /** Messages handed to the SDK so far. */
  generated(): number;
  stop(): void;
};

/**
 * Open-loop traffic through the SDK: `rate` msg/s for `durationS`, round-robin over `senders`,
 * each body `c1 <sender> <n>`; message k is due at start + k/rate whatever was acked.
 */
export function startSdkTraffic(
  senders: readonly TSdkSender[],
  rate: number,
  durationS: number,
): TSdkTraffic {
  const sentIds = new Set<string>();
  const acked = new Map<string, number>();
  const refused = new Map<string, string>();
  const total = Math.floor(rate * durationS);
  const start = performance.now();
  let generated = 0;
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (generated < due) {
      sendTracked({ sentIds, acked, refused }, senders[generated % senders.length]!);
      generated += 1;
    }
    if (generated >= total) clearInterval(timer);
  }, 5);
  return { sentIds, acked, refused, generated: () => generated, stop: () => clearInterval(timer) };
}

/** Has `sender` type its next message (`c1 <sender> <n>`, then `padding`) and books its outcome. */
export function sendTracked(
  books: Pick<TSdkTraffic, "sentIds" | "acked" | "refused">,
  sender: TSdkSender,
  padding = "",
): void {
  sender.n += 1;
  const { clientMsgId, promise } = sender.client.send(
    sender.conversationId,
    `c1 ${sender.index} ${sender.n}${padding}`,
  );
  books.sentIds.add(clientMsgId);
  promise.then(
    ({ seq }) => books.acked.set(clientMsgId, seq),
    (err: unknown) => books.refused.set(clientMsgId, err instanceof Error ? err.message : String(err)),
  );
}

/**
 * A ParleyClient on `ws`; `url` is asked per attempt. Timings are short enough for a harness
 * (chaos), or the SDK's own defaults with `sdkDefaults` (storm: measure what real clients do).
 */
export function makeSdkClient(
  url: () => string,
  options: { sdkDefaults?: boolean } & TSdkClientTuning = {},
): ParleyClient {
  const WebSocketClass = SafeWebSocket as unknown as TWebSocketConstructor;
  if (options.sdkDefaults) return new ParleyClient({ url, WebSocket: WebSocketClass });
  return new ParleyClient({
    url,
    WebSocket: WebSocketClass,
    ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}),
    ...(options.maxSendRetries !== undefined ? { maxSendRetries: options.maxSendRetries } : {}),
    backoff: { baseMs: 200, maxMs: 2000 },
    sendBackoff: { baseMs: 100, maxMs: 1000 },
    connectTimeoutMs: 5000,
    pongTimeoutMs: options.pongTimeoutMs ?? 5000,
    syncRetryMs: 500,
    syncTimeoutMs: 5000,
  });
}

export type TReceived = { seq: number; clientMsgId: string; senderId: string; body: string };
export type TReceiver = { userId: string; conversationId: string; client: ParleyClient; log: TReceived[] };

/** Makes `client` log every message of `conversationId` it is handed (tracked from seq 0). */
export function attachReceiver(client: ParleyClient, userId: string, conversationId: string): TReceiver {
  const receiver: TReceiver = { userId, conversationId, client, log: [] };
  client.on("event", (event) => {
    if (event.kind !== EventKind.MessageCreated || event.conversationId !== conversationId) return;
    const message = event.payload.message as { clientMsgId: string; senderId: string; body: string };
    receiver.log.push({
      seq: event.seq,
      clientMsgId: message.clientMsgId,
      senderId: message.senderId,
      body: message.body,
    });
  });
  client.track(conversationId, 0);
  return receiver;
}

export async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Each conversation's lastSeq in the database. */
export async function lastSeqs(check: pg.Client, conversations: string[]): Promise<Map<string, number>> {
  const { rows } = await check.query<{ id: string; lastSeq: number }>(
    `SELECT id, "lastSeq" FROM "Conversation" WHERE id = ANY($1::uuid[])`,
    [conversations],
  );
  return new Map(rows.map((r) => [r.id, r.lastSeq]));
}

/** Waits until every send settled and every receiver's cursor equals its log's end; false on timeout. */
export async function drainUntilCaughtUp(options: {
  check: pg.Client;
  conversations: string[];
  receivers: TReceiver[];
  settled: () => boolean;
  timeoutMs: number;
}): Promise<boolean> {
  const until = Date.now() + options.timeoutMs;
  while (Date.now() < until) {
    const seqs = await lastSeqs(options.check, options.conversations);
    const caughtUp = options.receivers.every(
      (r) => r.client.cursor(r.conversationId) === seqs.get(r.conversationId),
    );
    if (options.settled() && caughtUp) return true;
    await sleep(250);
  }
  return false;
}

export type TStoredMessage = {
  conversationId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  body: string;
};

export async function storedMessages(check: pg.Client, conversations: string[]): Promise<TStoredMessage[]> {
  const { rows } = await check.query<TStoredMessage>(
    `SELECT "conversationId", seq, "senderId", "clientMsgId", body FROM "Message"
     WHERE "conversationId" = ANY($1::uuid[]) ORDER BY "conversationId", seq`,
    [conversations],
  );
  return rows;
}
