/**
 * The check behind chaos.ts and the storm scenario, against the database rows of the conversations:
 * server side, acked ⇒ stored at the acked seq, one row per typed message, typed order kept;
 * client side, each receiver holds every acked message of its conversation once, in seq order.
 */
import type { TReceiver, TStoredMessage } from "./sdk-clients.ts";

export type TDeliveryCheck = {
  lostInDb: number;
  dbDuplicates: number;
  dbReordered: number;
  notSentAtAll: number;
  lostAtReceivers: number;
  /**
   * Acked messages a receiver has not got yet, above its cursor (its SDK has not reached them): lost
   * only when the run settled (`receiversMayLag` false); after a timed-out drain, still on their way.
   */
  behindAtReceivers: number;
  dupAtReceivers: number;
  reorderedAtReceivers: number;
  laggingReceivers: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** The first 20 problems, one line each. */
  problems: string[];
};

/** A body as a problem line shows it (the chaos flood's bodies are 38,000 characters). */
const shown = (body: string) => (body.length > 40 ? `${body.slice(0, 40)}…` : body);

export function checkDelivery(
  rows: TStoredMessage[],
  acked: Map<string, number>,
  sentIds: Set<string>,
  receivers: TReceiver[],
  options: { receiversMayLag?: boolean } = {},
): TDeliveryCheck {
  const seqsAtEnd = new Map<string, number>();
  for (const r of rows)
    seqsAtEnd.set(r.conversationId, Math.max(seqsAtEnd.get(r.conversationId) ?? 0, r.seq));

  const dbByClientMsgId = new Map(rows.map((r) => [r.clientMsgId, r]));
  const problems: string[] = [];
  const note = (line: string) => {
    if (problems.length < 20) problems.push(line);
  };

  // Server side: acked ⇒ stored at the acked seq; one row per typed message; typed order kept.
  let lostInDb = 0;
  for (const [clientMsgId, seq] of acked) {
    const row = dbByClientMsgId.get(clientMsgId);
    if (!row) {
      lostInDb += 1;
      note(`acked ${clientMsgId} (seq ${seq}) is not in the database`);
    } else if (row.seq !== seq) {
      note(`acked ${clientMsgId} at seq ${seq} but stored at seq ${row.seq}`);
    }
  }
  let dbDuplicates = 0;
  let dbReordered = 0;
  const bodies = new Set<string>();
  const lastNBySender = new Map<string, number>();
  for (const r of rows) {
    if (bodies.has(`${r.conversationId} ${r.body}`)) {
      dbDuplicates += 1;
      note(`stored twice: "${shown(r.body)}" (seq ${r.seq})`);
    }
    bodies.add(`${r.conversationId} ${r.body}`);
    const n = Number(r.body.split(" ")[2]);
    const key = `${r.conversationId} ${r.senderId}`;
    if (n < (lastNBySender.get(key) ?? 0)) {
      dbReordered += 1;
      note(`stored out of typed order: "${shown(r.body)}" at seq ${r.seq} after n=${lastNBySender.get(key)}`);
    }
    lastNBySender.set(key, Math.max(n, lastNBySender.get(key) ?? 0));
  }
  const notSentAtAll = [...sentIds].filter((id) => !dbByClientMsgId.has(id) && !acked.has(id)).length;

  // Client side: each receiver holds every stored message of its channel once, in seq order.
  let lostAtReceivers = 0;
  let behindAtReceivers = 0;
  let dupAtReceivers = 0;
  let reorderedAtReceivers = 0;
  let laggingReceivers = 0;
  for (const r of receivers) {
    const seen = new Set<string>();
    let lastSeq = 0;
    const lastN = new Map<string, number>();
    for (const m of r.log) {
      if (seen.has(m.clientMsgId)) {
        dupAtReceivers += 1;
        note(`receiver ${r.userId.slice(0, 8)} got ${m.clientMsgId} twice (seq ${m.seq})`);
      }
      seen.add(m.clientMsgId);
      const n = Number(m.body.split(" ")[2]);
      if (m.seq <= lastSeq || n < (lastN.get(m.senderId) ?? 0)) {
        reorderedAtReceivers += 1;
        note(`receiver ${r.userId.slice(0, 8)} got seq ${m.seq} ("${shown(m.body)}") after seq ${lastSeq}`);
      }
      lastSeq = Math.max(lastSeq, m.seq);
      lastN.set(m.senderId, Math.max(n, lastN.get(m.senderId) ?? 0));
    }
    // Missing at or below the cursor: the SDK moved past it without handing it over — lost. Above
    // it: not delivered yet, which is a loss only once the run has settled.
    const cursor = r.client.cursor(r.conversationId) ?? 0;
    let missing = 0;
    let behind = 0;
    for (const row of rows) {
      if (
        row.conversationId === r.conversationId &&
        acked.has(row.clientMsgId) &&
        !seen.has(row.clientMsgId)
      ) {
        if (row.seq > cursor && options.receiversMayLag) behind += 1;
        else missing += 1;
      }
    }
    if (missing > 0) {
      note(
        `receiver ${r.userId.slice(0, 8)} misses ${missing} acked messages (cursor ${cursor}, log at ${seqsAtEnd.get(r.conversationId)})`,
      );
      laggingReceivers += 1;
    }
    lostAtReceivers += missing;
    behindAtReceivers += behind;
  }

  return {
    lostInDb,
    dbDuplicates,
    dbReordered,
    notSentAtAll,
    lostAtReceivers,
    behindAtReceivers,
    dupAtReceivers,
    reorderedAtReceivers,
    laggingReceivers,
    lost: lostInDb + lostAtReceivers,
    duplicated: dbDuplicates + dupAtReceivers,
    reordered: dbReordered + reorderedAtReceivers,
    problems,
  };
}
