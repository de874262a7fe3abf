/**
 * The peer's session shapes over raw XMPP: `idle` (memory per authenticated session, XMPP ping
 * round trip under a 100 msg/s trickle), `connect` (logins per second with K in flight) and
 * `backlog` (an offline user's stored messages: initial presence → last one delivered).
 */
import { DOMAIN, PASSWORD } from "./ejabberd.ts";
import { closeAll, openSessions, type TPeerContext } from "./load.ts";
import { cpuSeconds, mapLimit, percentiles, sleep, type TFigures } from "./util.ts";
import { bodyOf, connectXmpp, type XmppConnection } from "./xmpp.ts";

/** Runs a full GC in every Erlang process, then returns erlang:memory(total) in KB. */
function erlangMemoryKb(ctx: TPeerContext): { total: number; processes: number } {
  const out = ctx.ej.eval(
    "[erlang:garbage_collect(P) || P <- erlang:processes()], {erlang:memory(total) div 1024, erlang:memory(processes) div 1024}",
  );
  const m = /\{(\d+),(\d+)\}/.exec(out);
  return { total: Number(m?.[1] ?? 0), processes: Number(m?.[2] ?? 0) };
}

/** The lowest of a few RSS samples of the beam (GC makes single samples noisy). */
async function settledRss(ctx: TPeerContext): Promise<number> {
  let low = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    low = Math.min(low, ctx.ej.rss());
    await sleep(200);
  }
  return low;
}

export async function runIdle(
  ctx: TPeerContext,
  o: { connections: number; trickleS: number },
): Promise<TFigures> {
  erlangMemoryKb(ctx);
  await sleep(500);
  const mem0 = erlangMemoryKb(ctx);
  const rss0 = await settledRss(ctx);
  const t0 = performance.now();
  const conns = await openSessions(ctx, o.connections, 200);
  const openS = (performance.now() - t0) / 1000;
  try {
    await sleep(2000);
    const mem1 = erlangMemoryKb(ctx);
    const rss1 = await settledRss(ctx);
    const n = o.connections;

    // Trickle: 100 msg/s between the first pairs; every 20 ms a ping from a rotating session.
    const pings: number[] = [];
    const pending = new Map<string, number>();
    for (const c of conns) {
      c.onStanza = (stanza) => {
        if (!stanza.startsWith("<iq")) return;
        const id = /id='(p\d+)'/.exec(stanza)?.[1];
        const at = id ? pending.get(id) : undefined;
        if (id && at !== undefined) {
          pending.delete(id);
          pings.push(performance.now() - at);
        }
      };
    }
    const pairs = Math.min(50, Math.floor(n / 2));
    let k = 0;
    const trickle = setInterval(() => {
      for (let i = 0; i < 10 && pairs > 0; i++, k++) {
        const from = (k % pairs) * 2;
        conns[from]?.message((conns[from + 1] as XmppConnection).jid.split("/")[0] as string, `t${k}`);
      }
    }, 100);
    let p = 0;
    const pinger = setInterval(() => {
      const c = conns[(p * 7919) % n] as XmppConnection;
      const id = `p${p++}`;
      pending.set(id, performance.now());
      c.send(`<iq type='get' id='${id}' to='${DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    }, 20);
    await sleep(o.trickleS * 1000);
    clearInterval(trickle);
    clearInterval(pinger);
    await sleep(500);
    const ping = percentiles(pings);
    return {
      connections: n,
      kb_per_conn: ((rss1 - rss0) / n).toFixed(1),
      heap_kb_per_conn: ((mem1.processes - mem0.processes) / n).toFixed(1),
      erlang_kb_per_conn: ((mem1.total - mem0.total) / n).toFixed(1),
      ping_p99: `${ping.p99}ms`,
      ping_max: `${ping.max}ms`,
      pings: pings.length,
      pings_unanswered: pending.size,
      rss_mb: (rss1 / 1024).toFixed(0),
      open_s: `${openS.toFixed(1)}s`,
    };
  } finally {
    closeAll(conns);
  }
}

/** `connections` logins (TCP + stream + PLAIN + restart + bind + session + presence), `inFlight` at a time. */
export async function runConnect(
  ctx: TPeerContext,
  o: { connections: number; inFlight: number },
): Promise<TFigures> {
  const conns: XmppConnection[] = [];
  const lat: number[] = [];
  let failed = 0;
  const cpu0 = process.cpuUsage();
  const beam0 = cpuSeconds(ctx.ej.beamPid);
  const t0 = performance.now();
  await mapLimit(o.connections, o.inFlight, async (i) => {
    const s = performance.now();
    try {
      conns.push(
        await connectXmpp({
          host: "127.0.0.1",
          port: ctx.ej.port,
          domain: DOMAIN,
          user: `u${i}`,
          password: PASSWORD,
          resource: "c",
          presence: true,
        }),
      );
      lat.push(performance.now() - s);
    } catch {
      failed++;
    }
  });
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const beamCpu = cpuSeconds(ctx.ej.beamPid) - beam0;
  closeAll(conns);
  const d = percentiles(lat);
  return {
    connects_per_s: (lat.length / elapsedS).toFixed(0),
    in_flight: o.inFlight,
    p50: `${d.p50}ms`,
    p99: `${d.p99}ms`,
    connections: o.connections,
    failed,
    gen_cpu: `${(((cpu.user + cpu.system) / 1e6 / elapsedS) * 100).toFixed(0)}%`,
    server_cpu: `${((beamCpu / elapsedS) * 100).toFixed(0)}%`,
  };
}

/**
 * `repeat` rounds: `senders` online users send `messages` chats (round robin) to u0 while it is
 * offline (ejabberd's offline storage); then u0 logs in and sends initial presence. Timed from
 * that presence (the session is up: the `welcome` of the peer) to the last stored message.
 */
export async function runBacklog(
  ctx: TPeerContext,
  o: { messages: number; conversations: number; repeat: number },
): Promise<TFigures> {
  const senders = await openSessions(ctx, o.conversations, 10, 1, "backlog");
  const times: number[] = [];
  let ordered = true;
  let duplicates = 0;
  let missing = 0;
  try {
    const online = `ejabberd_sm:get_user_resources(<<"u0">>, <<"${DOMAIN}">>)`;
    for (let round = 0; round < o.repeat; round++) {
      for (let i = 0; i < 30 && ctx.ej.eval(online) !== "[]"; i++) await sleep(200); // u0 must be offline
      for (let m = 0; m < o.messages; m++) {
        const s = m % o.conversations;
        senders[s]?.message(`u0@${DOMAIN}`, `${round}:${s}:${Math.floor(m / o.conversations)}`);
      }
      const countExpr = `mod_offline:count_offline_messages(<<"u0">>, <<"${DOMAIN}">>)`;
      for (let i = 0; i < 60 && Number(ctx.ej.eval(countExpr)) < o.messages; i++) await sleep(200);

      const lastSeq = new Array<number>(o.conversations).fill(-1);
      const seen = new Set<string>();
      let got = 0;
      let t0 = 0;
      let lastAt = 0;
      const target = await connectXmpp({
        host: "127.0.0.1",
        port: ctx.ej.port,
        domain: DOMAIN,
        user: "u0",
        password: PASSWORD,
        resource: `r${round}`,
      });
      const done = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 30_000);
        target.onStanza = (stanza) => {
          if (!stanza.startsWith("<message")) return;
          const body = bodyOf(stanza) ?? "";
          const [r, s, q] = body.split(":").map(Number) as [number, number, number];
          if (r !== round) return;
          if (seen.has(body)) {
            duplicates++;
            return;
          }
          seen.add(body);
          if (q <= (lastSeq[s] as number)) ordered = false;
          lastSeq[s] = q;
          lastAt = performance.now();
          if (++got === o.messages) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      t0 = performance.now();
      target.send("<presence/>");
      await done;
      missing += o.messages - got;
      times.push(lastAt - t0);
      target.close();
    }
  } finally {
    closeAll(senders);
  }
  const d = percentiles(times);
  return {
    messages: o.messages,
    conversations: o.conversations,
    median_ms: d.p50,
    max_ms: d.max,
    ordered: ordered && missing === 0,
    duplicates,
    missing,
    rounds: o.repeat,
  };
}
