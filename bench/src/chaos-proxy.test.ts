/** The chaos proxy on real loopback sockets: forwarding, latency, RST cuts, half-open, throttle. */
import { once } from "node:events";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseChaosOptions } from "./chaos-options.ts";
import { startProxy, type TProxy } from "./chaos-proxy.ts";
import { summaryLine } from "./chaos-report.ts";

let server: Server | undefined;
let proxy: TProxy | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.length = 0;
  await proxy?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = proxy = undefined;
});

/** An upstream that hands every accepted socket to `onSocket`; returns a proxy in front of it. */
async function setup(onSocket: (s: Socket) => void): Promise<TProxy> {
  server = createServer((s) => {
    sockets.push(s);
    s.on("error", () => {});
    onSocket(s);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  proxy = await startProxy(typeof address === "object" && address ? address.port : 0, { holdMs: 5000 });
  return proxy;
}

async function dial(port: number): Promise<Socket> {
  const s = tcpConnect(port, "127.0.0.1");
  sockets.push(s);
  s.on("error", () => {});
  await once(s, "connect");
  return s;
}

const received = (s: Socket) => {
  const chunks: Buffer[] = [];
  s.on("data", (d: Buffer) => chunks.push(d));
  return () => Buffer.concat(chunks).toString();
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("chaos proxy", () => {
  it("forwards both ways, and with latency keeps the order and the delay", async () => {
    const p = await setup((s) => s.on("data", (d) => s.write(d))); // echo
    const c = await dial(p.port);
    const got = received(c);
    c.write("a");
    await sleep(50);
    expect(got()).toBe("a");
    p.setLatency(150);
    const t = Date.now();
    c.write("b");
    c.write("c");
    await sleep(100);
    p.setLatency(0);
    c.write("d"); // must not overtake b and c
    while (got().length < 4 && Date.now() - t < 3000) await sleep(10);
    expect(got()).toBe("abcd");
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
  });

  it("cut resets both sides", async () => {
    let upstream: Socket | undefined;
    const p = await setup((s) => {
      upstream = s;
    });
    const c = await dial(p.port);
    while (!upstream) await sleep(5);
    const clientError = new Promise<NodeJS.ErrnoException>((resolve) => c.once("error", resolve));
    const upstreamClosed = new Promise((resolve) => upstream!.once("close", resolve));
    expect(p.cut(1)).toBe(1);
    expect((await clientError).code).toBe("ECONNRESET");
    await upstreamClosed;
  });

  it("freeze: open connections stop forwarding without closing, new ones never reach the upstream", async () => {
    let accepted = 0;
    const p = await setup((s) => {
      accepted += 1;
      s.on("data", (d) => s.write(d));
    });
    const c = await dial(p.port);
    const got = received(c);
    let isClosed = false;
    c.on("end", () => {
      isClosed = true;
    });
    c.write("x");
    while (got() !== "x") await sleep(5);
    expect(p.connections()).toBe(1);
    expect(p.freeze(500)).toBe(1);
    expect(p.connections()).toBe(0); // frozen ones do not count (the next freeze picks by this)
    c.write("y");
    const late = await dial(p.port); // accepted by the proxy, frozen at once
    const lateGot = received(late);
    late.write("z");
    await sleep(300);
    expect(got()).toBe("x");
    expect(lateGot()).toBe("");
    expect(isClosed).toBe(false);
    expect(accepted).toBe(1);
    await sleep(300); // the window is over: new connections work again
    const fresh = await dial(p.port);
    const freshGot = received(fresh);
    fresh.write("w");
    while (freshGot() !== "w") await sleep(5);
    expect(accepted).toBe(2);
  });

  it("throttle reads gateway → client at the given rate", async () => {
    const p = await setup((s) => {
      s.write(Buffer.alloc(100_000, 97));
      setTimeout(() => s.write(Buffer.alloc(100_000, 98)), 50);
    });
    p.throttle(100_000);
    const t = Date.now();
    const c = await dial(p.port);
    let bytes = 0;
    c.on("data", (d: Buffer) => {
      bytes += d.length;
    });
    while (bytes < 200_000 && Date.now() - t < 10_000) await sleep(10);
    expect(bytes).toBe(200_000);
    // At most one 64 KB read is free: the rest costs ≥ 1.36 s at 100 KB/s.
    expect(Date.now() - t).toBeGreaterThanOrEqual(1000);
  }, 15_000);
});

describe("chaos options and summary", () => {
  it("--short is a small matrix; options beat the preset; bad values are refused", () => {
    const short = parseChaosOptions(["--short"]);
    expect(short).toMatchObject({ short: true, durationS: 30, kills: 2, pgRestarts: 2, netCuts: 2 });
    expect(parseChaosOptions([])).toMatchObject({ kills: 100, pgRestarts: 10, netCuts: 20, rate: 500 });
    expect(parseChaosOptions(["--matrix"])).toEqual(parseChaosOptions([]));
    expect(() => parseChaosOptions(["--matrix", "--short"])).toThrow(/exclude/);
    expect(parseChaosOptions(["--short", "--kills", "5"])).toMatchObject({ kills: 5, durationS: 30 });
    expect(() => parseChaosOptions(["--kills", "-1"])).toThrow(/--kills/);
    expect(() => parseChaosOptions(["--short", "--rate", "2000"])).toThrow(/commands\/s/);
  });

  it("the summary line names every fault kind and the checker's counts", () => {
    const line = summaryLine(
      {
        kills: 1,
        redisRestarts: 2,
        pgRestarts: 3,
        pgKills: 4,
        netCuts: 5,
        halfOpen: 6,
        netDelays: 7,
        slowConsumers: 8,
        duringTraffic: 0,
      },
      { sent: 10, acked: 9, rows: 9, slowClosed: 8 },
      { lost: 1, duplicated: 0, reordered: 2 },
    );
    expect(line).toBe(
      "chaos: kills=1 redis_restarts=2 pg_restarts=3 pg_kills=4 net_cuts=5 half_open=6 net_delays=7 slow_consumers=8 slow_closed=8 sent=10 acked=9 lost=1 duplicated=0 reordered=2 db_messages=9",
    );
  });
});
