/**
 * `storm --connections N --gateways 2 --engine redis`: N SDK clients (ParleyClient: reconnect
 * with full-jitter backoff, resume from cursors, resend unacked with the same clientMsgId) in
 * DM pairs (one sends, one receives), two thirds on gateway 0. With traffic flowing at `--rate`,
 * the gateway holding the most clients is SIGKILLed; every client moves to a survivor (its URL
 * rotates over the live gateways per attempt, as behind a load balancer with health checks;
 * before the kill it stays on its home gateway). recovered_s = SIGKILL → every client open again
 * (the killed gateway's on a survivor), every cursor at or past its conversation's lastSeq at the
 * kill, every send pending at the kill settled. After the traffic and a drain, the logs are
 * checked against the database (delivery-check.ts, shared with chaos.ts).
 */
import type { ParleyClient } from "@parley/client";
import pg from "pg";
import { checkDelivery } from "../delivery-check.ts";
import { startFleetFor } from "../gateways.ts";
import { exited, nowMs, sleep } from "../harness.ts";
import type { TOptions } from "../options.ts";
import { onCleanup } from "../run.ts";
import {
  attachReceiver,
  drainUntilCaughtUp,
  lastSeqs,
  makeSdkClient,
  startSdkTraffic,
  storedMessages,
  type TReceiver,
  waitFor,
} from "../sdk-clients.ts";
import { seedDmPairsFast, seedUsersFast } from "../seed-fast.ts";
import { prepareDatabase } from "../setup.ts";
import { watchGenerator } from "../stats.ts";

export async function runStorm(o: TOptions, log: (line: string) => void, startedAt: number): Promise<number> {
  const n = o.connections;
  const { db, url } = await prepareDatabase(o, log);
  const { userIds, tokens } = await seedUsersFast(db, n);
  const dms = await seedDmPairsFast(db, userIds);
  log(`seeded: ${n} users + tokens, ${dms.length} DMs`);
  const fleet = await startFleetFor(o, url, log);
  const g = fleet.gateways.length;

  // Two thirds start on gateway 0, the rest spread over the others. Until a gateway dies every
  // attempt goes home (slow handshakes must not reshuffle the placement); then attempts rotate
  // over the live ones.
  const dead = new Set<number>();
  const onGateway = new Array<number>(n);
  const clients: ParleyClient[] = [];
  const senders: { client: ParleyClient; conversationId: string; index: number; n: number }[] = [];
  const receivers: TReceiver[] = [];
  onCleanup(() => {
    for (const c of clients) c.disconnect("bench over");
  });
  for (let i = 0; i < n; i += 1) {
    const home = i % 3 === 2 ? 1 + (Math.floor(i / 3) % (g - 1)) : 0;
    let attempt = 0;
    const client = makeSdkClient(
      () => {
        let k = home;
        if (dead.size > 0) {
          const live = Array.from({ length: g }, (_, j) => j).filter((j) => !dead.has(j));
          k = live[(home + attempt++) % live.length]!;
        }
        onGateway[i] = k;
        return `${fleet.gateways[k]!.url}?token=${tokens[i]}`;
      },
      { sdkDefaults: true },
    );
    clients.push(client);
    const conversationId = dms[Math.floor(i / 2)]!;
    if (i % 2 === 0) {
      client.track(conversationId, 0);
      senders.push({ client, conversationId, index: senders.length, n: 0 });
    } else receivers.push(attachReceiver(client, userIds[i]!, conversationId));
    client.connect();
  }
  const connectStart = nowMs();
  await waitFor(() => clients.every((c) => c.state === "open"), 120_000);
  log(
    `connected: ${n} SDK clients in ${((nowMs() - connectStart) / 1000).toFixed(1)}s; per gateway ${countBy(onGateway, g).join("/")}`,
  );

  // --- traffic ---------------------------------------------------------------------------------
  const traffic = startSdkTraffic(senders, o.rate, o.durationS);
  const { sentIds, acked, refused } = traffic;
  const total = Math.floor(o.rate * o.durationS);
  onCleanup(() => traffic.stop());

  await sleep((o.durationS * 1000) / 3);
  const held = Array.from(
    { length: g },
    (_, k) => onGateway.filter((x, i) => x === k && clients[i]!.state === "open").length,
  );
  const victim = held.indexOf(Math.max(...held));
  const check = new pg.Client({ connectionString: url });
  await check.connect();
  onCleanup(() => check.end());
  const seqsAtKill = await lastSeqs(check, dms);
  const pendingAtKill = [...sentIds].filter((id) => !acked.has(id) && !refused.has(id));
  const gen = watchGenerator();
  dead.add(victim);
  fleet.gateways[victim]!.child.kill("SIGKILL");
  const killedAt = nowMs();
  await exited(fleet.gateways[victim]!.child);
  log(
    `SIGKILL gateway${victim} holding ${held[victim]} of ${n} clients (${pendingAtKill.length} sends pending)`,
  );

  // --- recovery ----------------------------------------------------------------------------------
  const tracked = clients.map((client, i) => ({ client, conversationId: dms[Math.floor(i / 2)]! }));
  // A client of the killed gateway counts once its socket to a survivor is open: right after the
  // kill its old socket can still read "open" until the close reaches this process (the check
  // once passed 0.31 s after the SIGKILL of 12,667 clients, before any had noticed).
  const recovered = () =>
    tracked.every(
      ({ client, conversationId }, i) =>
        client.state === "open" &&
        onGateway[i] !== victim &&
        (client.cursor(conversationId) ?? 0) >= (seqsAtKill.get(conversationId) ?? 0),
    ) && pendingAtKill.every((id) => acked.has(id) || refused.has(id));
  const recoveryLimitMs = 120_000;
  let recoveredAt = 0;
  let lastReport = nowMs();
  while (nowMs() - killedAt < recoveryLimitMs) {
    if (recovered()) {
      recoveredAt = nowMs();
      break;
    }
    if (nowMs() - lastReport > 5000) {
      lastReport = nowMs();
      log(
        `recovering: ${clients.filter((c) => c.state === "open").length} of ${n} open after ${((lastReport - killedAt) / 1000).toFixed(0)}s`,
      );
    }
    await sleep(50);
  }
  const genStats = gen();
  const recoveredS = recoveredAt ? (recoveredAt - killedAt) / 1000 : -1;
  log(
    recoveredAt
      ? `recovered: every client open and caught up ${recoveredS.toFixed(2)}s after the SIGKILL`
      : `NOT recovered within ${recoveryLimitMs / 1000}s`,
  );

  await waitFor(() => traffic.generated() >= total, o.durationS * 1000 + 10_000).catch(() => {});
  const isDrained = await drainUntilCaughtUp({
    check,
    conversations: dms,
    receivers,
    settled: () => acked.size + refused.size >= sentIds.size,
    timeoutMs: o.drainS * 1000 + 20_000,
  });
  log(`traffic over: ${traffic.generated()} messages; ${isDrained ? "drained" : "drain timed out"}`);
  const result = checkDelivery(await storedMessages(check, dms), acked, sentIds, receivers);
  for (const line of result.problems) log(`  ${line}`);
  const syncs = clients.reduce((a, c) => a + c.stats.syncs, 0);
  log(
    `check:      sent=${sentIds.size} acked=${acked.size} refused=${refused.size} lost=${result.lost} duplicated=${result.duplicated} reordered=${result.reordered}; SDK syncs=${syncs}`,
  );
  log(
    `bench: scenario=storm clients=${n} recovered_s=${recoveredS.toFixed(2)} lost=${result.lost} duplicated=${result.duplicated} reordered=${result.reordered} killed_held=${held[victim]} gateways=${g} rate=${o.rate} sent=${sentIds.size} acked=${acked.size} refused=${refused.size} gen_cpu=${genStats.cpuPct.toFixed(0)}% gen_lag_p99=${genStats.lagP99.toFixed(1)}ms elapsed=${((Date.now() - startedAt) / 1000).toFixed(0)}s`,
  );
  return 0;
}

function countBy(onGateway: number[], g: number): number[] {
  return Array.from({ length: g }, (_, k) => onGateway.filter((x) => x === k).length);
}
