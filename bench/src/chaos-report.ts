/**
 * The chaos run's summary line and its negative control. The control corrupts what the checker
 * reads, where the new faults leave their marks: a slow consumer's log (or the first receiver's)
 * loses one message and gets one twice, out of order; and one acked row is deleted from the
 * database, as if a Postgres crash had lost a commit. A checker that reports none of it is broken.
 */
import type pg from "pg";
import type { TFaultCounts } from "./chaos-faults.ts";
import type { TDeliveryCheck } from "./delivery-check.ts";
import type { TReceiver } from "./sdk-clients.ts";

/** The last line of a run: every fault kind's count, then the checker's figures. */
export function summaryLine(
  f: TFaultCounts,
  t: { sent: number; acked: number; rows: number; slowClosed: number },
  d: Pick<TDeliveryCheck, "lost" | "duplicated" | "reordered">,
): string {
  return [
    "chaos:",
    `kills=${f.kills}`,
    `redis_restarts=${f.redisRestarts}`,
    `pg_restarts=${f.pgRestarts}`,
    `pg_kills=${f.pgKills}`,
    `net_cuts=${f.netCuts}`,
    `half_open=${f.halfOpen}`,
    `net_delays=${f.netDelays}`,
    `slow_consumers=${f.slowConsumers}`,
    `slow_closed=${t.slowClosed}`,
    `sent=${t.sent}`,
    `acked=${t.acked}`,
    `lost=${d.lost}`,
    `duplicated=${d.duplicated}`,
    `reordered=${d.reordered}`,
    `db_messages=${t.rows}`,
  ].join(" ");
}

/** Corrupts a receiver log and the database (see above); returns what it did, one line each. */
export async function injectCheckerFaults(
  check: pg.Client,
  receivers: TReceiver[],
  acked: Map<string, number>,
): Promise<string[]> {
  const lines: string[] = [];
  // The slow channel's receivers come last; a slow consumer is one of them.
  const victim = [...receivers].reverse().find((r) => r.log.length >= 4) ?? receivers[0];
  if (victim && victim.log.length >= 4) {
    victim.log.splice(1, 1); // lost
    victim.log.push(victim.log[0]!); // duplicated, and out of seq order
    lines.push(
      `injected into receiver ${victim.userId.slice(0, 8)}'s log: one dropped, one repeated out of order`,
    );
  }
  const [clientMsgId] = acked.keys();
  if (clientMsgId) {
    const { rowCount } = await check.query(`DELETE FROM "Message" WHERE "clientMsgId" = $1`, [clientMsgId]);
    lines.push(`deleted ${rowCount} acked row from the database (${clientMsgId})`);
  }
  lines.push("expect lost≥2 duplicated≥1 reordered≥1 and exit code 1");
  return lines;
}
