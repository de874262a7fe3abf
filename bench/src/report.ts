/**
 * The human-readable report of a traffic window, and its `bench: scenario=dm|channel50 …` line
 * (returned, not printed: scenarios that reuse the window print their own line).
 */

import type { TBaseline } from "./baseline.ts";
import { describe, percentiles, shareOver } from "./harness.ts";
import { mb, pct, ratio } from "./stats.ts";
import type { TTraffic } from "./traffic.ts";

export function reportTraffic(
  t: TTraffic,
  context: {
    scenario: string;
    connections: number;
    gateways: number;
    engine: string;
    base: TBaseline | null;
    rssPerConn: number;
    startedAt: number;
    log: (line: string) => void;
  },
): { line: string; p99: string; throughput: number; everythingAcked: boolean } {
  const { load, wallSeconds, sendSeconds } = t;
  const { counters } = load;
  const { base, rssPerConn, log } = context;
  let neverDelivered = 0;
  let partlyDelivered = 0;
  for (let k = 0; k < load.total; k += 1) {
    if (!load.sentAt[k]) continue;
    const want = t.receivers(k);
    if (load.deliveredCount[k] === 0) neverDelivered += 1;
    else if ((load.deliveredCount[k] ?? 0) < want) partlyDelivered += 1;
  }
  const d = percentiles(load.deliveryLatency);
  const a = percentiles(load.ackLatency);
  const deliveryWindow = counters.lastDeliveryAt > 0 ? (counters.lastDeliveryAt - t.t0) / 1000 : 0;
  const errors = load.errorsByCode;

  log("");
  log(
    `messages:   sent=${counters.sent} not_sent(socket closed)=${counters.notSent} in ${sendSeconds.toFixed(1)}s (${(counters.sent / sendSeconds).toFixed(0)}/s offered)`,
  );
  log(
    `acks:       acked=${counters.acked} errors=${counters.failed}${errors.size ? ` (${[...errors].map(([c, n]) => `${c}×${n}`).join(", ")})` : ""} unanswered=${counters.sent - counters.acked - counters.failed}`,
  );
  log(`            send→ack ${describe(load.ackLatency)}`);
  log(
    `deliveries: delivered=${counters.delivered} expected=${counters.expected} (${pct(counters.delivered, counters.expected)}) self_echo=${counters.selfEcho} duplicates=${counters.duplicates} out_of_seq_order=${counters.outOfOrder} (raw frames; the SDK buffers/dedups these)`,
  );
  log(`            messages never delivered=${neverDelivered} partly delivered=${partlyDelivered}`);
  log(`            send→receive ${describe(load.deliveryLatency)}`);
  log(`            by second of sending (worst send→last receiver): ${timeline(load)}`);
  const throughput = counters.acked / wallSeconds;
  log(
    `throughput: ${throughput.toFixed(0)} acks/s, ${deliveryWindow > 0 ? (counters.delivered / deliveryWindow).toFixed(0) : 0} deliveries/s`,
  );
  if (base)
    log(
      `baseline:   raw ws echo RTT p50=${base.p50}ms p99=${base.p99}ms p99.9=${base.p999}ms → delivery p99 is ${ratio(d.p99, base.p99)} the echo p99`,
    );
  log(
    `generator:  CPU ${t.genCpuPct.toFixed(0)}% of one core, event-loop lag ${t.lag.text}, schedule lag ${describe(load.scheduleLag)}`,
  );
  log(
    `gateways:   CPU ${t.gwCpuPct.toFixed(0)}% of one core (all gateways), RSS ${mb(t.rssEnd)} at end, ${(rssPerConn / 1024).toFixed(1)} KB/connection (idle sockets)`,
  );
  // CPU per acked message: the figure an optimisation of the send path moves (latency is noisy).
  const perMsg = (pct: number) =>
    counters.acked > 0 ? ((pct / 100) * t.wallSeconds * 1e6) / counters.acked : 0;
  log(
    `postgres:   CPU ${t.pgCpuPct.toFixed(0)}% of one core (the database's cluster); per acked message: postgres ${perMsg(t.pgCpuPct).toFixed(0)} µs, gateways ${perMsg(t.gwCpuPct).toFixed(0)} µs`,
  );
  const b = t.batches;
  const acksOver25 = (shareOver(load.ackLatency, 25) * 100).toFixed(2);
  if (b) {
    log(
      `batches:    ${b.batches} group-commit statements, ${b.sendsPerBatch.toFixed(1)} sends each, ${b.statementMs.toFixed(2)} ms each (commit included); ${b.over10ms} over 10 ms, ${b.over25ms} over 25 ms; acks over 25 ms: ${acksOver25}% of the generator's, ${(b.acksOver25msShare * 100).toFixed(2)}% inside the gateway (frame in → ack out)`,
    );
  }
  log(
    `box:        ${t.boxPct.toFixed(0)}% of the box (all cores) busy during traffic (everything on the machine, incl. Postgres)`,
  );
  if (counters.unexpectedCloses > 0)
    log(`warning:    ${counters.unexpectedCloses} sockets closed during traffic`);
  if (counters.delivered === 0 && counters.expected > 0) {
    log(
      "note:       no deliveries at all: fan-out is not wired in this gateway yet (acks still measure the send path)",
    );
  }
  const line = `bench: scenario=${context.scenario} connections=${context.connections} rate=${t.rate} duration=${t.durationS} gateways=${context.gateways} engine=${context.engine} throughput=${throughput.toFixed(0)}/s sent=${counters.sent} acked=${counters.acked} errors=${counters.failed} delivered=${counters.delivered} expected=${counters.expected} duplicates=${counters.duplicates} out_of_order=${counters.outOfOrder} p50=${d.p50}ms p99=${d.p99}ms p999=${d.p999}ms max=${d.max}ms ack_p50=${a.p50}ms ack_p99=${a.p99}ms ack_p999=${a.p999}ms echo_p99=${base?.p99 ?? "-"}ms gen_cpu=${t.genCpuPct.toFixed(0)}% gen_lag_p99=${t.lag.p99}ms gw_cpu=${t.gwCpuPct.toFixed(0)}% pg_cpu=${t.pgCpuPct.toFixed(0)}% pg_us_per_msg=${perMsg(t.pgCpuPct).toFixed(0)} gw_us_per_msg=${perMsg(t.gwCpuPct).toFixed(0)} gw_kb_per_conn=${(rssPerConn / 1024).toFixed(1)} batches=${b?.batches ?? "-"} sends_per_batch=${b ? b.sendsPerBatch.toFixed(1) : "-"} statement_ms=${b ? b.statementMs.toFixed(2) : "-"} statements_over_10ms=${b?.over10ms ?? "-"} statements_over_25ms=${b?.over25ms ?? "-"} acks_over_25ms=${acksOver25}% gw_acks_over_25ms=${b ? (b.acksOver25msShare * 100).toFixed(2) : "-"}% elapsed=${((Date.now() - context.startedAt) / 1000).toFixed(0)}s`;
  const everythingAcked = counters.notSent === 0 && counters.acked === counters.sent;
  return { line, p99: d.p99, throughput, everythingAcked };
}

/** The worst send → last receiver per second of the send window: where a p99 comes from. */
function timeline(load: TTraffic["load"]): string {
  let t0 = Number.POSITIVE_INFINITY;
  for (let k = 0; k < load.total; k += 1) if (load.sentAt[k]) t0 = Math.min(t0, load.sentAt[k] ?? t0);
  const worst: number[] = [];
  for (let k = 0; k < load.total; k += 1) {
    const sent = load.sentAt[k] ?? 0;
    const last = load.lastAt[k] ?? 0;
    if (!sent || !last) continue;
    const s = Math.floor((sent - t0) / 1000);
    worst[s] = Math.max(worst[s] ?? 0, last - sent);
  }
  return Array.from(worst, (ms, s) => `${s}s:${(ms ?? 0).toFixed(0)}ms`).join(" ");
}

/** The receiving generator processes of a multi-process run: CPU, event-loop lag, share of deliveries. */
export function describeReceivers(
  receivers: { cpuPct: number; lagP99: number; lagMax: number; received: number }[],
  delivered: number,
): string {
  const each = receivers.map(
    (r, k) =>
      `#${k} CPU ${r.cpuPct.toFixed(0)}% lag p99=${r.lagP99.toFixed(1)}ms max=${r.lagMax.toFixed(1)}ms received=${r.received}`,
  );
  const inWorkers = receivers.reduce((a, r) => a + r.received, 0);
  return `receivers:  ${receivers.length} generator processes (CPU of one core each): ${each.join("; ")}; ${delivered - inWorkers} deliveries to the senders here`;
}
