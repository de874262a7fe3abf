/**
 * /metrics end to end: a gateway (its own server, on the shared Redis under a private key prefix)
 * with METRICS_PORT and METRICS_TOKEN; real sockets connect, send, resume, repair a gap and hit a
 * rate limit, and two scrapes show each series moved by exactly what happened in between. The
 * metrics port refuses scrapes without the token, and the public port has no /metrics at all.
 * (Each test file runs in its own process, so the process-wide counts are this file's alone.)
 */
import { randomUUID } from "node:crypto";
import { parseEnv } from "@parley/config";
import { seedChannel, seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { EventKind, PROTOCOL_VERSION } from "@parley/protocol";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway } from "./gateway.ts";
import { startRealtime, type TRealtime } from "./realtime.ts";
import { sessionTicket, TEST_SECRET, TestClient, until } from "./test-helpers.ts";

const TOKEN = "metrics-test-token-0123456789";
const logger = pino({ level: "silent" });
let t: TTestDb;
let realtime: TRealtime;
let metricsUrl: string;
let port: number;

/** One scrape, as `series{labels}` → value (histograms as their _bucket/_sum/_count lines). */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(metricsUrl, { headers: { Authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  const values = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

/** How much each named series moved between two scrapes. */
function moved(
  before: Map<string, number>,
  after: Map<string, number>,
  names: string[],
): Record<string, number> {
  return Object.fromEntries(
    names.map((name) => [name, (after.get(name) ?? Number.NaN) - (before.get(name) ?? 0)]),
  );
}

beforeAll(async () => {
  t = await createTestDb();
  await seedWorkspace(t.db);
  const env = parseEnv({
    DATABASE_URL: t.url,
    AUTH_SECRET: TEST_SECRET,
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    REDIS_KEY_PREFIX: `parley-test-${randomUUID().slice(0, 8)}:`,
    REALTIME_PORT: "0",
    METRICS_PORT: "0",
    METRICS_TOKEN: TOKEN,
  });
  realtime = await startRealtime({ env, db: t.db, logger });
  port = realtime.gateway!.port;
  metricsUrl = `http://127.0.0.1:${realtime.metricsServer!.port}/metrics`;
});

afterAll(async () => {
  await realtime?.close();
  await t?.drop();
});

describe("/metrics", () => {
  it("is refused without the bearer token and absent from the public port", async () => {
    expect((await fetch(metricsUrl)).status).toBe(401);
    expect(
      (await fetch(metricsUrl, { headers: { Authorization: "Bearer wrong-token-0123456789" } })).status,
    ).toBe(401);
    expect((await fetch(metricsUrl, { headers: { Authorization: TOKEN } })).status).toBe(401);
    expect(
      (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } }))
        .status,
    ).toBe(404);
    // Bound to loopback by default.
    expect(realtime.metricsServer!.server.address()).toMatchObject({ address: "127.0.0.1" });
  });

  it("counts connections, an acked send, its deliveries, fan-out, resume, gap repair and Redis commands", async () => {
    const [ana, ben] = await Promise.all(["Ana", "Ben"].map((name) => seedUser(t.db, { name })));
    const channel = await seedChannel(t.db, { createdById: ana!.id, memberIds: [ben!.id] });
    const before = await scrape();

    const anaSocket = await TestClient.connect(port, await sessionTicket(t.db, ana!.id));
    const benSocket = await TestClient.connect(port, await sessionTicket(t.db, ben!.id));
    const afterConnect = await scrape();
    expect(
      moved(before, afterConnect, ["parley_gateway_connects_total", "parley_gateway_connections"]),
    ).toEqual({
      parley_gateway_connects_total: 2,
      parley_gateway_connections: 2,
    });

    const clientMsgId = randomUUID();
    anaSocket.send({ type: "send", id: "s1", conversationId: channel.id, clientMsgId, body: "counted" });
    await anaSocket.waitFor((f) => f.type === "ack" && f.id === "s1");
    const isMessage = (f: { type: string; kind?: string }) =>
      f.type === "event" && f.kind === EventKind.MessageCreated;
    await benSocket.waitFor(isMessage);
    await anaSocket.waitFor(isMessage);
    // The histograms are observed right after the writes they time.
    await until(
      async () =>
        ((await scrape()).get("parley_send_deliver_seconds_count") ?? 0) >
        (before.get("parley_send_deliver_seconds_count") ?? 0),
    );
    const afterSend = await scrape();
    expect(
      moved(afterConnect, afterSend, [
        "parley_messages_sent_total",
        "parley_frames_delivered_total",
        "parley_send_ack_seconds_count",
        "parley_send_deliver_seconds_count",
        "parley_fanout_recipients_count",
        "parley_fanout_recipients_sum",
      ]),
    ).toEqual({
      parley_messages_sent_total: 1,
      // One message.created to each member's socket.
      parley_frames_delivered_total: 2,
      parley_send_ack_seconds_count: 1,
      // One bus message to this gateway, naming both users.
      parley_send_deliver_seconds_count: 1,
      parley_fanout_recipients_count: 1,
      parley_fanout_recipients_sum: 2,
    });
    expect(afterSend.get('parley_send_ack_seconds_bucket{le="+Inf"}')).toBe(
      before.get('parley_send_ack_seconds_bucket{le="+Inf"}')! + 1,
    );
    expect(afterSend.get("parley_redis_commands_total")).toBeGreaterThan(
      afterConnect.get("parley_redis_commands_total")!,
    );
    expect(afterSend.get('parley_pg_pool_connections{pool="hot"}')).toBeGreaterThan(0);
    expect(afterSend.get('parley_pg_pool_waiting{pool="main"}')).toBe(0);
    expect(afterSend.has("nodejs_eventloop_lag_seconds")).toBe(true);

    // A reconnecting client resumes from its cursors; a client that saw a gap repairs it.
    benSocket.send({ type: "hello", protocolVersion: PROTOCOL_VERSION, cursors: { [channel.id]: 0 } });
    await benSocket.waitFor((f) => f.type === "synced");
    anaSocket.send({ type: "sync", id: "g1", cursors: { [channel.id]: 0 } });
    await anaSocket.waitFor((f) => f.type === "synced");
    const afterResume = await scrape();
    expect(
      moved(afterSend, afterResume, [
        "parley_resumes_total",
        "parley_gap_syncs_total",
        "parley_messages_sent_total",
      ]),
    ).toEqual({
      parley_resumes_total: 1,
      parley_gap_syncs_total: 1,
      parley_messages_sent_total: 0,
    });

    await anaSocket.close();
    await benSocket.close();
    await until(
      async () =>
        (await scrape()).get("parley_gateway_connections") === before.get("parley_gateway_connections"),
    );
  });

  it("counts rate-limit refusals by limit", async () => {
    const ana = await seedUser(t.db, { name: "Ana" });
    // A second gateway in this process with a tight command budget (counts are per process).
    const strict = await createGateway({
      port: 0,
      host: "127.0.0.1",
      logger,
      commandRate: { perSecond: 0.001, burst: 1 },
      authenticate: async () => ({ userId: ana.id, role: "member" }),
    });
    try {
      const before = await scrape();
      const socket = await TestClient.connect(strict.port, "unused");
      socket.send({ type: "ping", id: "p1" });
      socket.send({ type: "ping", id: "p2" });
      await socket.waitFor((f) => f.type === "error" && f.id === "p2");
      const after = await scrape();
      expect(
        moved(before, after, [
          'parley_rate_limited_total{limit="command"}',
          'parley_rate_limited_total{limit="send"}',
        ]),
      ).toEqual({
        'parley_rate_limited_total{limit="command"}': 1,
        'parley_rate_limited_total{limit="send"}': 0,
      });
      await socket.close();
    } finally {
      await strict.close();
    }
  });
});
