/**
 * The peer's message-load shapes over raw XMPP: `dm` (clients in pairs, open-loop rate, send →
 * receive), `sweep` (dm steps of rising rate until delivery p99 > 50 ms or a message is lost) and
 * `channel` (one MUC room, N occupants, send → the LAST occupant). Open loop: message k is due at
 * t0 + k/rate whatever happened to earlier ones. Sender and receivers live in this process, so
 * one clock (performance.now) serves both ends.
 */
import { SWEEP_P99_MS, SWEEP_RETRIES } from "../options.ts";
import { runStep } from "../sweep-search.ts";
import { DOMAIN, MUC_DOMAIN, PASSWORD, type TEjabberd } from "./ejabberd.ts";
import { cpuSeconds, mapLimit, percentiles, sleep, type TFigures } from "./util.ts";
import { bodyOf, connectXmpp, type XmppConnection } from "./xmpp.ts";

export type TPeerContext = { ej: TEjabberd; log: (line: string) => void };

/** Opens `count` sessions for users u{from}…, `inFlight` logins at a time, with initial presence. */
export async function openSessions(
  ctx: TPeerContext,
  count: number,
  inFlight = 100,
  from = 0,
  resource = "bench",
) {
  return mapLimit(count, inFlight, (i) =>
    connectXmpp({
      host: "127.0.0.1",
      port: ctx.ej.port,
      domain: DOMAIN,
      user: `u${from + i}`,
      password: PASSWORD,
      resource,
      presence: true,
    }),
  );
}

export const closeAll = (conns: XmppConnection[]) => {
  for (const c of conns) c.close();
};

/**
 * Sends `total` messages at `rate`/s: message k goes out through `sendOne(k)` at t0 + k/rate.
 * Returns the schedule lag samples (how late each send left). Batches everything due per tick.
 */
async function openLoop(
  rate: number,
  total: number,
  sendOne: (k: number) => void,
): Promise<{ t0: number; lag: number[] }> {
  const lag: number[] = [];
  const t0 = performance.now() + 50;
  let k = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (k < total) {
        const due = t0 + (k * 1000) / rate;
        if (due > now) break;
        if (k % 10 === 0) lag.push(now - due);
        sendOne(k);
        k++;
      }
      if (k >= total) resolve();
      else setTimeout(tick, Math.max(0, Math.min(5, t0 + (k * 1000) / rate - performance.now())));
    };
    setTimeout(tick, 50);
  });
  return { t0, lag };
}

/**
 * Unreported traffic before a measured run (`--warmup S`, as Parley's side gets): `rate`/s for
 * `seconds`, message k through `sendOne(k, body)`. Bodies are `w<k>`, which no measured handler
 * counts (they read a number), so a late warm-up message cannot pass for a measured one.
 */
async function warmUp(
  rate: number,
  seconds: number,
  sendOne: (k: number, body: string) => void,
): Promise<void> {
  if (seconds <= 0) return;
  await openLoop(rate, Math.floor(rate * seconds), (k) => sendOne(k, `w${k}`));
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!done() && performance.now() < end) await sleep(20);
}

/** dm warm-up over pair sessions: at up to 1,000 msg/s, as Parley's (scenarios/dm.ts). */
async function warmUpDm(conns: XmppConnection[], rate: number, seconds: number): Promise<void> {
  for (const c of conns) c.onStanza = () => {};
  const bare = conns.map((c) => c.jid.split("/")[0] as string);
  await warmUp(rate, seconds, (k, body) => {
    const from = k % conns.length;
    conns[from]?.message(bare[from ^ 1] as string, body);
  });
}

/** One dm run over already-open pair sessions (conns[2p] ↔ conns[2p+1]). */
export async function dmStep(
  ctx: TPeerContext,
  conns: XmppConnection[],
  o: { rate: number; durationS: number; drainS: number },
): Promise<TFigures> {
  const n = conns.length;
  const total = Math.floor(o.rate * o.durationS);
  const sentAt = new Float64Array(total);
  const seen = new Uint8Array(total);
  const lat: number[] = [];
  let delivered = 0;
  let duplicates = 0;
  let lastDelivery = 0;
  const bare = conns.map((c) => c.jid.split("/")[0] as string);
  for (const c of conns) {
    c.onStanza = (stanza) => {
      if (!stanza.startsWith("<message")) return;
      const k = Number(bodyOf(stanza));
      if (!(k >= 0 && k < total)) return;
      const now = performance.now();
      if (seen[k]) {
        duplicates++;
        return;
      }
      seen[k] = 1;
      delivered++;
      lastDelivery = now;
      lat.push(now - (sentAt[k] as number));
    };
  }
  const cpu0 = process.cpuUsage();
  const beam0 = cpuSeconds(ctx.ej.beamPid);
  const { t0, lag } = await openLoop(o.rate, total, (k) => {
    const from = k % n;
    sentAt[k] = performance.now();
    conns[from]?.message(bare[from ^ 1] as string, String(k));
  });
  const sendEnd = performance.now();
  await waitUntil(() => delivered >= total, o.drainS * 1000);
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const beamCpu = cpuSeconds(ctx.ej.beamPid) - beam0;
  const d = percentiles(lat);
  const window = Math.max(sendEnd, lastDelivery) - t0;
  return {
    connections: n,
    rate: o.rate,
    duration: o.durationS,
    sent: total,
    delivered,
    lost: total - delivered,
    duplicates,
    p50: `${d.p50}ms`,
    p99: `${d.p99}ms`,
    max: `${d.max}ms`,
    throughput: (delivered / (window / 1000)).toFixed(0),
    gen_cpu: `${(((cpu.user + cpu.system) / 1e6 / elapsedS) * 100).toFixed(0)}%`,
    gen_lag_p99: `${percentiles(lag).p99}ms`,
    server_cpu: `${((beamCpu / elapsedS) * 100).toFixed(0)}%`,
  };
}

export async function runDm(
  ctx: TPeerContext,
  o: { connections: number; rate: number; durationS: number; drainS: number; warmupS: number },
) {
  const conns = await openSessions(ctx, o.connections, 200);
  try {
    await warmUpDm(conns, Math.min(o.rate, 1000), o.warmupS);
    return await dmStep(ctx, conns, o);
  } finally {
    closeAll(conns);
  }
}

const SWEEP_RATES = [
  500, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10_000, 12_000, 14_000, 16_000, 20_000,
];

/**
 * dm steps of rising rate on the same sessions; stops at the first step over 50 ms p99 or losing
 * messages, run again as many as SWEEP_RETRIES times first — the rule of Parley's sweep
 * (scenarios/dm.ts), so the two searches stay alike.
 */
export async function runSweep(
  ctx: TPeerContext,
  o: { connections: number; durationS: number; drainS: number; maxRate: number; warmupS: number },
  onStep: (figures: TFigures) => void,
): Promise<TFigures> {
  const conns = await openSessions(ctx, o.connections, 200);
  let best = { rate: 0, p99: 0 };
  try {
    await warmUpDm(conns, Math.min(SWEEP_RATES[0] as number, o.maxRate), o.warmupS);
    for (const rate of SWEEP_RATES.filter((r) => r <= o.maxRate)) {
      const step = await runStep(rate, SWEEP_RETRIES, async () => {
        const f = await dmStep(ctx, conns, { rate, durationS: o.durationS, drainS: o.drainS });
        onStep(f);
        await sleep(2000);
        const p99 = Number.parseFloat(String(f.p99));
        return { ok: f.lost === 0 && p99 <= SWEEP_P99_MS, p99: String(p99) };
      });
      if (!step.ok) break;
      best = { rate, p99: Number(step.p99) };
    }
  } finally {
    closeAll(conns);
  }
  return { best_rate: best.rate, best_p99: `${best.p99}ms`, connections: o.connections };
}

/**
 * One MUC room with `members` occupants; message k is sent by occupant k mod members at `rate`/s.
 * Per message: the time until the last other occupant got it; over all: every delivery.
 */
export async function runChannel(
  ctx: TPeerContext,
  o: { members: number; rate: number; durationS: number; drainS: number; warmupS: number },
) {
  const room = `bench${Date.now()}@${MUC_DOMAIN}`;
  const joinT0 = performance.now();
  const conns = await openSessions(ctx, o.members, 200);
  const join = (c: XmppConnection, i: number, owner: boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`occupant ${i} did not join within 60 s`)), 60_000);
      c.onStanza = (stanza) => {
        if (
          stanza.startsWith("<presence") &&
          stanza.includes(`from='${room}/m${i}'`) &&
          stanza.includes("code='110'")
        ) {
          if (stanza.includes("type='error'")) return reject(new Error(`join refused: ${stanza}`));
          if (owner && stanza.includes("code='201'")) {
            // A new room stays locked until its owner accepts the default configuration.
            c.send(
              `<iq type='set' id='cfg' to='${room}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`,
            );
            return;
          }
          clearTimeout(timer);
          resolve();
        } else if (owner && stanza.startsWith("<iq") && stanza.includes("id='cfg'")) {
          clearTimeout(timer);
          if (stanza.includes("type='result'")) resolve();
          else reject(new Error(`room configuration refused: ${stanza}`));
        }
      };
      c.send(`<presence to='${room}/m${i}'><x xmlns='http://jabber.org/protocol/muc'/></presence>`);
    });
  try {
    await join(conns[0] as XmppConnection, 0, true);
    await mapLimit(o.members - 1, 50, (j) => join(conns[j + 1] as XmppConnection, j + 1, false));
    const joinMs = performance.now() - joinT0;
    ctx.log(`peer: channel: ${o.members} occupants joined ${room} in ${(joinMs / 1000).toFixed(1)} s`);
    await sleep(2000); // let the join presence traffic settle

    const total = Math.floor(o.rate * o.durationS);
    const sentAt = new Float64Array(total);
    const got = new Uint32Array(total);
    const last = new Float64Array(total);
    const all: number[] = [];
    let completed = 0;
    const others = o.members - 1;
    conns.forEach((c, i) => {
      c.onStanza = (stanza) => {
        if (!stanza.startsWith("<message")) return;
        const k = Number(bodyOf(stanza));
        if (!(k >= 0 && k < total) || k % o.members === i) return; // the sender's own echo
        const l = performance.now() - (sentAt[k] as number);
        all.push(l);
        last[k] = l;
        if (++(got[k] as number) === others) completed++;
      };
    });
    // Straight into the measured run, as Parley's channel warm-up (a pause makes it cold again).
    await warmUp(o.rate, o.warmupS, (k, body) => conns[k % o.members]?.message(room, body, "groupchat"));
    const beam0 = cpuSeconds(ctx.ej.beamPid);
    const { t0 } = await openLoop(o.rate, total, (k) => {
      sentAt[k] = performance.now();
      conns[k % o.members]?.message(room, String(k), "groupchat");
    });
    await waitUntil(() => completed >= total, o.drainS * 1000);
    const elapsedS = (performance.now() - t0) / 1000;
    const lastP = percentiles(Array.from(last.subarray(0, total)).filter((_, k) => got[k] === others));
    const allP = percentiles(all);
    const expected = total * others;
    return {
      members: o.members,
      rate: o.rate,
      last_p50: `${lastP.p50}ms`,
      last_p99: `${lastP.p99}ms`,
      last_max: `${lastP.max}ms`,
      p99: `${allP.p99}ms`,
      delivered: all.length,
      expected,
      incomplete: total - completed,
      join_s: `${(joinMs / 1000).toFixed(1)}s`,
      server_cpu: `${(((cpuSeconds(ctx.ej.beamPid) - beam0) / elapsedS) * 100).toFixed(0)}%`,
    } satisfies TFigures;
  } finally {
    closeAll(conns);
  }
}
