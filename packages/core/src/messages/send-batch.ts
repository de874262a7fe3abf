/**
 * Group commit: sends that arrive together reach Postgres as ONE statement (one round trip, one
 * transaction, one WAL flush), and each is acked only after that statement committed. The
 * statement locks the batch's conversations, reads what each send needs (membership, archived,
 * an earlier message with the same clientMsgId, the thread root, mentioned members (by name and
 * through user groups: no extra round trip), the sender's
 * name and, for a body with @channel/@here/@everyone only, the broadcast policy — `broadcast.ts`),
 * stores the sends that may go ahead and answers, per send, its seq or why not.
 *
 * How a batch forms: `submit` queues the send and, unless `maxInFlight` batches are already
 * running, flushes on the next turn of the event loop (`setImmediate`: every frame read in the same
 * I/O phase joins). While batches run, new sends queue and go out together when one finishes. So
 * a quiet server sends each message at once, and a busy one batches by itself, up to `maxBatch`.
 * Two running batches never share a conversation (a send into a busy one waits its turn).
 *
 * The guarantees stay those of a single send (ARCHITECTURE.md "Sending"):
 * - Persist first: a send's promise settles after the statement committed (or failed).
 * - Gapless per-conversation seq: the statement locks the batch's conversations in id order (no
 *   deadlock between concurrent batches or with single writers, who lock one conversation), counts
 *   the sends that still qualify under the lock (member, not archived, live thread root), bumps
 *   each `lastSeq` by that count and numbers the sends `base + 1 … base + n` in submission order.
 * - Idempotency: the statement finds an earlier message with the same (sender, clientMsgId), stores
 *   nothing for it and the send is answered as a duplicate; two sends with the same key never run at once (the second waits
 *   for the batch of the first and then finds its message). A unique violation from a concurrent writer rolls
 *   the whole statement back (nothing written, no seq used) and every send of that batch is retried
 *   alone through `sendOne`, which answers duplicates exactly. Any other statement error does the
 *   same, so one bad send cannot fail its neighbours.
 * - The sender's order: one connection's sends are submitted one after another, each after the
 *   previous was acked (the gateway's per-connection queue, the SDK's outbox), so they are in
 *   successive batches; within a batch, seqs follow submission order.
 * The statement is named, so each pooled connection parses and plans it once.
 */
import {
  DEFAULT_SEND_BATCH_GATHER_MS,
  DEFAULT_SEND_BATCH_IN_FLIGHT,
  DEFAULT_SEND_BATCH_MAX,
  SEND_BATCH_GATHER_AFTER,
} from "@parley/config";
import type { TDb, TSqlPool } from "@parley/db";
import { parseMentions, type TParsedMentions } from "@parley/protocol";
import type { TActor } from "../actor.ts";
import { ParleyError } from "../errors.ts";
import { publishCommitted, type TConversationEventRecord, writesInFlight } from "../events.ts";
import { uuidv7 } from "../ids.ts";
import { metrics } from "../metrics.ts";
import { SEND_STATEMENTS } from "./send-batch-sql.ts";
import {
  duplicateOf,
  eventPayload,
  explainRefusal,
  requireSendable,
  sendOne,
  sentMessage,
  type TSendCheck,
  type TSendInput,
  type TSendMessageResult,
  type TStoredSend,
} from "./send-one.ts";

/** Group commit settings. */
export type TSendBatchingOptions = {
  /** Most sends in one statement; 1 turns group commit off (every send alone, as `sendOne`). */
  maxBatch: number;
  /** Batches running at once (each holds one pooled connection). */
  maxInFlight: number;
  /**
   * Another batch starts beside running ones only once the newest of them has run this long
   * (milliseconds; 0: at once). See DEFAULT_OVERLAP_AFTER_MS.
   */
  overlapAfterMs?: number;
  /**
   * Under load, the next batch waits this long after the previous one for more sends to join it
   * (milliseconds; 0: never, @parley/config's default). The fixed cost of a batch is paid per
   * statement, so a few ms more per send buy ≈ 30 % less CPU per message near the top — but on a
   * quiet box they also raised p50 and found no higher rate (eleventh round in docs/performance.md),
   * hence opt-in. Only after a batch of SEND_BATCH_GATHER_AFTER or more sends, i.e. while sends
   * arrive faster than statements commit. A full batch never waits.
   */
  gatherMs?: number;
};

/**
 * A batch has a large fixed cost (≈ 1 ms of Postgres CPU and a WAL flush, whatever its size;
 * docs/performance.md, seventh round), so under load one batch at a time is cheaper and faster:
 * what arrives while it commits goes out as the next, larger batch (ninth round: two side by side
 * halved every batch). But one lane alone would make every send of the process wait behind a batch
 * stuck on a lock (a long transaction on one conversation): so a second batch — never sharing a
 * conversation with a running one — starts once the running one is older than a batch normally
 * lives under load (8–15 ms at 3,000–4,000 msg/s on this VM).
 */
export const DEFAULT_OVERLAP_AFTER_MS = 25;

/** Defaults: @parley/config's SEND_BATCH_MAX, SEND_BATCH_IN_FLIGHT and SEND_BATCH_GATHER_MS defaults. */
export const DEFAULT_SEND_BATCHING: Readonly<TSendBatchingOptions> = Object.freeze({
  maxBatch: DEFAULT_SEND_BATCH_MAX,
  maxInFlight: DEFAULT_SEND_BATCH_IN_FLIGHT,
  overlapAfterMs: DEFAULT_OVERLAP_AFTER_MS,
  gatherMs: DEFAULT_SEND_BATCH_GATHER_MS,
});

let batching: TSendBatchingOptions = { ...DEFAULT_SEND_BATCHING };

/** Sets group commit for this process (e.g. `{ maxBatch: env.SEND_BATCH_MAX }`); applies to new batchers. */
export function configureSendBatching(next: Partial<TSendBatchingOptions>): void {
  batching = { ...batching, ...next };
}

type Pending = {
  actor: TActor;
  data: TSendInput;
  /**
   * Parsed once at submit: the statement keeps the members among `userIds` and the groups'
   * members, and stores `all`.
   */
  mentions: TParsedMentions;
  /** sender + clientMsgId: two sends with the same key never run at once. */
  key: string;
  resolve: (result: TSendMessageResult) => void;
  reject: (err: unknown) => void;
};

/** What a send of the batch decided before the statement: its message id and time. */
type Prepared = { p: Pending; id: string; createdAt: Date };

/** The statement's answer per send: its seq when stored, else why not (SendCheck). */
type SendRow = TSendCheck & {
  i: number;
  seq: number | null;
  membersSeq: number | null;
  senderName: string | null;
};

/** Collects sends for one database and writes them in batches. */
export class SendBatcher {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  /** When the newest running batch started (performance.now()). */
  private lastStartAt = 0;
  /** Sends in the batch started last (it decides whether the next one gathers). */
  private lastBatchSize = 0;
  /** A flush is due on the next turn of the event loop. */
  private isImmediate = false;
  /** Else a flush is due when this timer fires, at `timerDue` (performance.now()). */
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerDue = 0;
  /** sender + clientMsgId of every send in a running batch. */
  private readonly keys = new Set<string>();
  /** Conversations of the running batches: no two batches in flight share one. */
  private readonly busy = new Set<string>();
  /** Counters since start: batches run, sends in them, sends retried alone after a failed statement. */
  readonly stats = { batches: 0, sends: 0, retriedAlone: 0 };
  /** Batch size and statement time, per batch (parley_send_batch_size / _seconds). */
  private readonly histograms = metrics();

  constructor(
    private readonly db: TDb,
    private readonly pool: TSqlPool,
    private readonly options: TSendBatchingOptions,
  ) {}

  /** Queues one validated send; settles after its batch committed (or with its refusal). */
  submit(actor: TActor, data: TSendInput): Promise<TSendMessageResult> {
    return new Promise<TSendMessageResult>((resolve, reject) => {
      const key = `${actor.userId}\n${data.clientMsgId}`;
      this.queue.push({ actor, data, mentions: parseMentions(data.body), key, resolve, reject });
      this.schedule();
    });
  }

  /**
   * How long until another batch may start (0: now), or null while none may (every lane busy, or
   * nothing queued: a finishing batch and every submit schedule again). Beside a running batch, a
   * second waits until that one is `overlapAfterMs` old; with none running, a batch following a
   * large one waits `gatherMs` for more sends unless the queue already fills a batch.
   */
  private startsIn(): number | null {
    if (this.inFlight >= this.options.maxInFlight || this.queue.length === 0) return null;
    if (this.inFlight > 0) {
      return Math.max(0, (this.options.overlapAfterMs ?? 0) - (performance.now() - this.lastStartAt));
    }
    const gatherMs = this.options.gatherMs ?? 0;
    if (
      gatherMs > 0 &&
      this.lastBatchSize >= SEND_BATCH_GATHER_AFTER &&
      this.queue.length < this.options.maxBatch
    ) {
      return gatherMs;
    }
    return 0;
  }

  /**
   * Arranges the next flush for when `startsIn` says, unless one is due as soon or sooner. A
   * sooner one replaces a later timer: a batch that commits while the next waits for the overlap
   * (25 ms) lets it start at once — it had kept waiting for the timer, so from ≈ 400 msg/s every
   * send arriving during a batch waited up to 25 ms (p50 16–20 ms in the sweep).
   */
  private schedule(): void {
    const wait = this.startsIn();
    if (wait === null || this.isImmediate) return;
    if (wait === 0) {
      this.clearTimer();
      this.isImmediate = true;
      setImmediate(() => {
        this.isImmediate = false;
        this.flush(false);
      });
      return;
    }
    const due = performance.now() + wait;
    if (this.timer && this.timerDue <= due) return;
    this.clearTimer();
    this.timerDue = due;
    // Not unref'd: queued sends must keep the process alive until they are stored (≤ 25 ms).
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush(true);
    }, Math.ceil(wait));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Starts the batches that may start; `hasWaited`: the wait `startsIn` asked for is over. */
  private flush(hasWaited: boolean): void {
    for (let isFirst = true; ; isFirst = false) {
      const wait = this.startsIn();
      if (wait === null) return;
      if (wait > 0 && !(isFirst && hasWaited)) {
        this.schedule();
        return;
      }
      // A send whose key is in a running batch waits for it (and then finds its message).
      // A send into a conversation of a running batch waits for it too: in the database it would
      // wait for that batch's lock anyway, holding the locks of its own batch's other
      // conversations meanwhile (so under load the two batches ran one after the other, and the
      // longer they took, the larger and more overlapping the next ones grew).
      const batch: Pending[] = [];
      const waiting: Pending[] = [];
      const conversations = new Set<string>();
      while (this.queue.length > 0 && batch.length < this.options.maxBatch) {
        const p = this.queue.shift() as Pending;
        if (this.keys.has(p.key) || this.busy.has(p.data.conversationId)) {
          waiting.push(p);
        } else {
          this.keys.add(p.key);
          conversations.add(p.data.conversationId);
          batch.push(p);
        }
      }
      this.queue.unshift(...waiting);
      if (batch.length === 0) return;
      for (const id of conversations) this.busy.add(id);
      this.stats.batches++;
      this.stats.sends += batch.length;
      this.lastBatchSize = batch.length;
      this.histograms.sendBatchSize.observe(batch.length);
      this.inFlight++;
      this.lastStartAt = performance.now();
      void this.run(batch)
        // A bug must not leave sends hanging: settle whatever is still open (settled ones ignore it).
        .catch((err: unknown) => {
          for (const p of batch) p.reject(err);
        })
        .finally(() => {
          for (const p of batch) this.keys.delete(p.key);
          for (const id of conversations) this.busy.delete(id);
          this.inFlight--;
          this.schedule();
        });
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    const prepared: Prepared[] = batch.map((p) => ({ p, id: uuidv7(), createdAt: new Date() }));
    const conversationIds = new Set(batch.map((p) => p.data.conversationId));
    let rows: Map<number, SendRow>;
    writesInFlight.begin(conversationIds);
    const startedAt = performance.now();
    try {
      rows = await this.write(prepared);
      this.histograms.sendBatchSeconds.observe((performance.now() - startedAt) / 1000);
    } catch {
      writesInFlight.end(conversationIds);
      // Nothing of the statement was written: each send alone answers exactly (duplicates too).
      await this.alone(batch);
      return;
    }
    writesInFlight.end(conversationIds);
    const events: TConversationEventRecord[] = [];
    const done: { p: Pending; result: TSendMessageResult }[] = [];
    const notStored: { p: Pending; row: SendRow | undefined }[] = [];
    for (const [i, { p, id, createdAt }] of prepared.entries()) {
      const row = rows.get(i);
      if (row?.seq == null || row.membersSeq == null || row.senderName === null) {
        notStored.push({ p, row });
        continue;
      }
      const stored: TStoredSend = {
        id,
        createdAt,
        senderName: row.senderName,
        mentionedUserIds: row.mentionedMemberIds,
        mentionsAll: p.mentions.all,
        attachments: [],
      };
      const payload = eventPayload(p.actor, p.data, stored);
      const sent = sentMessage(
        p.actor,
        p.data,
        { ...stored, seq: row.seq, membersSeq: row.membersSeq },
        payload,
      );
      events.push(sent.event);
      done.push({ p, result: { message: sent.message, duplicate: false } });
    }
    publishCommitted(events);
    for (const { p, result } of done) p.resolve(result);
    for (const { p, row } of notStored) this.answerNotStored(p, row);
  }

  /** A send the statement did not store: its duplicate, its refusal, or (a race) explainRefusal's answer. */
  private answerNotStored(p: Pending, row: SendRow | undefined): void {
    try {
      if (!row || row.senderName === null) throw new ParleyError("UNAUTHORIZED", "Unknown user");
      if (row.existingId) {
        duplicateOf(this.db, p.actor, row.existingId, p.data.conversationId).then(p.resolve, p.reject);
        return;
      }
      requireSendable({ ...row, senderName: row.senderName }, p.data.threadRootId ?? null);
    } catch (err) {
      p.reject(err);
      return;
    }
    explainRefusal(this.db, p.actor, p.data).then(p.resolve, p.reject);
  }

  /** The one statement of a batch; its answer per send, by index in `prepared`. */
  private async write(prepared: readonly Prepared[]): Promise<Map<number, SendRow>> {
    const menI: number[] = [];
    const menUser: string[] = [];
    const menOrd: number[] = [];
    const mgrI: number[] = [];
    const mgrGroup: string[] = [];
    const mgrOrd: number[] = [];
    for (const [i, { p }] of prepared.entries()) {
      for (const [ord, userId] of p.mentions.userIds.entries()) {
        menI.push(i);
        menUser.push(userId);
        menOrd.push(ord);
      }
      // Groups' members come after the people mentioned by name.
      for (const [ord, groupId] of p.mentions.groupIds.entries()) {
        mgrI.push(i);
        mgrGroup.push(groupId);
        mgrOrd.push(p.mentions.userIds.length + ord);
      }
    }
    // No send mentions anyone or replies in a thread (most batches): the plain statement.
    const isPlain =
      menI.length === 0 &&
      mgrI.length === 0 &&
      prepared.every(({ p }) => !p.mentions.all && (p.data.threadRootId ?? null) === null);
    const values: unknown[] = [
      prepared.map((_, i) => i),
      prepared.map((x) => x.id),
      prepared.map((x) => x.p.data.conversationId),
      prepared.map((x) => x.p.actor.userId),
      prepared.map((x) => x.p.data.clientMsgId),
      prepared.map((x) => x.p.data.body),
      prepared.map((x) => x.p.data.threadRootId ?? null),
      prepared.map((x) => (x.p.data.threadRootId ?? null) !== null && x.p.data.alsoInChannel === true),
      prepared.map((x) => x.p.mentions.all),
      prepared.map((x) => x.createdAt.toISOString()),
    ];
    if (!isPlain) values.push(menI, menUser, menOrd, mgrI, mgrGroup, mgrOrd);
    const statement = isPlain ? SEND_STATEMENTS.plain : SEND_STATEMENTS.full;
    const result = await this.pool.query<SendRow>({ ...statement, values });
    return new Map(result.rows.map((row) => [row.i, row]));
  }

  /** Each send on its own, one after another (the fallback when a batch statement failed). */
  private async alone(sends: readonly Pending[]): Promise<void> {
    this.stats.retriedAlone += sends.length;
    for (const p of sends) {
      try {
        p.resolve(await sendOne(this.db, p.actor, p.data));
      } catch (err) {
        p.reject(err);
      }
    }
  }
}

const batchers = new WeakMap<object, SendBatcher>();

/** The group commit's counters for `db` (null before its first batched send). */
export function sendBatchStats(db: TDb): Readonly<SendBatcher["stats"]> | null {
  return batchers.get(db)?.stats ?? null;
}

/** The group commit for `db` (one per client), or null when it is turned off (`maxBatch` 1). */
export function groupCommit(db: TDb, pool: TSqlPool): SendBatcher | null {
  if (batching.maxBatch <= 1) return null;
  let batcher = batchers.get(db);
  if (!batcher) {
    batcher = new SendBatcher(db, pool, { ...batching });
    batchers.set(db, batcher);
  }
  return batcher;
}
