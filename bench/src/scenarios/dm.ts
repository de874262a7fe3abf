/**
 * `dm` / `channel50` (users in 1:1 DMs or channels of 50, every socket sending in turn) and
 * `--sweep`: the same dm world reused for short steps at rising rates, then a bisection, to find
 * the highest offered rate whose delivery p99 ≤ 50 ms with everything acked (a failed step is run
 * once more before it counts as failed: SWEEP_RETRIES).
 */
import { baseline } from "../baseline.ts";
import { startFleetFor } from "../gateways.ts";
import { nowMs, postmasterPidOf, rssOf, sleep } from "../harness.ts";
import { openConnections, type TConn } from "../load.ts";
import { CHANNEL_SIZE, SWEEP_P99_MS, SWEEP_RETRIES, type TOptions } from "../options.ts";
import { reportTraffic } from "../report.ts";
import { onCleanup } from "../run.ts";
import { prepareDatabase } from "../setup.ts";
import { mb, settledRss, sum } from "../stats.ts";
import { sweepSearch } from "../sweep-search.ts";
import { runTraffic } from "../traffic.ts";
import { buildWorld } from "../world.ts";

export async function runDm(o: TOptions, log: (line: string) => void, startedAt: number): Promise<number> {
  const CONNECTIONS = o.connections;
  const base = o.noBaseline ? null : await baseline(CONNECTIONS, o.rate, o.durationS);
  if (base) log(`baseline: ${base.text}`);

  const { db, url } = await prepareDatabase(o, log);
  const seedStart = Date.now();
  const scenario = o.scenario === "channel50" ? "channel50" : "dm";
  const world = await buildWorld(db, CONNECTIONS, scenario);
  const postmasterPid = await postmasterPidOf(db);
  log(
    `seeded: ${CONNECTIONS} users + tokens, ${world.members.size} ${scenario === "dm" ? "DMs" : `channels of ${CHANNEL_SIZE}`} in ${((Date.now() - seedStart) / 1000).toFixed(1)}s`,
  );

  const { gateways, pids } = await startFleetFor(o, url, log);
  await sleep(500);
  const rssIdle = pids.map(rssOf);
  log(`gateways: ${gateways.map((g) => `:${g.port} pid ${g.child.pid}`).join(", ")}`);

  // The first sockets pay for JIT warm-up, pools and heap growth: open a tenth first, then
  // count RSS per socket over the rest only.
  const warm = Math.max(1, Math.floor(CONNECTIONS / 10));
  const warmConns = await openConnections(world, gateways, 0, warm);
  const rssWarm = await settledRss(pids);
  const connectStart = nowMs();
  const conns: TConn[] = [...warmConns, ...(await openConnections(world, gateways, warm, CONNECTIONS))];
  const connectSeconds = (nowMs() - connectStart) / 1000;
  onCleanup(() => {
    for (const c of conns) c.ws.terminate();
  });
  const rssConnected = await settledRss(pids);
  const rssPerConn = (sum(rssConnected) - sum(rssWarm)) / (CONNECTIONS - warm);
  log(
    `connected: ${CONNECTIONS} sockets, the last ${CONNECTIONS - warm} in ${connectSeconds.toFixed(1)}s (${Math.round((CONNECTIONS - warm) / connectSeconds)}/s); gateway RSS ${mb(sum(rssIdle))} idle, ${mb(sum(rssWarm))} with ${warm} sockets, ${mb(sum(rssConnected))} with all (${(rssPerConn / 1024).toFixed(1)} KB/connection)`,
  );

  const step = async (rate: number) => {
    const perConnRate = rate / CONNECTIONS;
    if (perConnRate > 15)
      console.error(
        `bench: warning: ${perConnRate.toFixed(1)} sends/s per connection nears the gateway's per-connection limit (20/s)`,
      );
    const traffic = await runTraffic({
      world,
      conns,
      pids,
      rate,
      durationS: o.durationS,
      drainS: o.drainS,
      postmasterPid,
      metricsUrls: gateways.map((g) => g.metricsUrl),
    });
    const result = reportTraffic(traffic, {
      scenario,
      connections: CONNECTIONS,
      gateways: o.gateways,
      engine: o.engine,
      base,
      rssPerConn,
      startedAt,
      log,
    });
    log(result.line);
    return result;
  };

  if (o.warmupS > 0) {
    // Unreported traffic first, at up to 1,000 msg/s so every conversation is touched: JIT, the
    // database pool and its prepared statements, the fan-out's member caches.
    const warmRate = Math.min(o.sweep ? Math.min(o.rate, o.maxRate) : o.rate, 1000);
    log(`warm-up: ${o.warmupS}s at ${warmRate} msg/s (not counted)`);
    await runTraffic({ world, conns, pids, rate: warmRate, durationS: o.warmupS, drainS: 5 });
    await sleep(500);
  }

  if (!o.sweep) {
    await step(o.rate);
    // Figures, not assertions: a run that completed exits 0 whatever it measured.
    return 0;
  }

  // --- sweep: double until a step fails, then bisect (sweep-search.ts); a failed step runs again.
  const passes = (r: { p99: string; everythingAcked: boolean }) =>
    r.everythingAcked && r.p99 !== "-" && Number(r.p99) <= SWEEP_P99_MS;
  const { good, goodP99, steps } = await sweepSearch(
    { startRate: o.rate, maxRate: o.maxRate, retries: SWEEP_RETRIES },
    async (r, isRetry) => {
      log(`\nsweep: ${isRetry ? "step again" : "step"} at ${r} msg/s`);
      const result = await step(r);
      const ok = passes(result);
      log(
        `sweep: ${r} msg/s → p99 ${result.p99} ms, ${result.everythingAcked ? "all acked" : "NOT all acked"}: ${ok ? "pass" : "fail"}`,
      );
      // Let the backlog of a failed step clear before the next one.
      await sleep(ok ? 500 : 3000);
      return { ok, p99: result.p99 };
    },
  );
  log(`\nsweep: steps ${steps.join(" ")}`);
  log(
    `bench: scenario=sweep best_rate=${good} best_p99=${goodP99}ms steps=${steps.length} connections=${CONNECTIONS} gateways=${o.gateways} engine=${o.engine} step_duration=${o.durationS}s`,
  );
  return 0;
}
