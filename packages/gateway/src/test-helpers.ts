/** Shared helpers for the gateway's integration tests: real tickets and a frame-collecting client. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseEnv } from "@parley/config";
import { mintTicket } from "@parley/core";
import type { TDb } from "@parley/db";
import { seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import type { TServerEvent } from "@parley/protocol";
import { pino } from "pino";
import WebSocket from "ws";
import { startRealtime, type TRealtime } from "./realtime.ts";

/** The AUTH_SECRET the tests' gateways verify tickets with. */
export const TEST_SECRET = "integration-test-secret-at-least-32-characters";

/** A real 60 s ticket for a fresh browser session of `userId`. */
export async function sessionTicket(db: TDb, userId: string, ttlSec = 60): Promise<string> {
  const session = await db.authSession.create({
    data: { userId, expiresAt: new Date(Date.now() + 3_600_000) },
    select: { id: true },
  });
  return mintTicket(TEST_SECRET, { userId, sessionId: session.id }, ttlSec);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A socket that records every frame it receives, in order. */
export class TestClient {
  readonly frames: TServerEvent[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => this.frames.push(JSON.parse(String(data)) as TServerEvent));
    ws.on("error", () => {});
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  /** Connects with a ticket and resolves after the welcome frame (which stays in `frames`). */
  static async connect(port: number, ticket: string): Promise<TestClient> {
    return TestClient.open(`ws://127.0.0.1:${port}/ws?ticket=${ticket}`);
  }

  /** Connects with a personal access token (as SDKs and bots do), resolving after the welcome frame. */
  static async connectWithToken(port: number, token: string): Promise<TestClient> {
    return TestClient.open(`ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(token)}`);
  }

  /** Connects with `Authorization: Bearer <token>` (a bot's or a personal token), resolving after the welcome frame. */
  static async connectWithBearer(port: number, token: string): Promise<TestClient> {
    return TestClient.open(`ws://127.0.0.1:${port}/ws`, { authorization: `Bearer ${token}` });
  }

  private static async open(url: string, headers?: Record<string, string>): Promise<TestClient> {
    const client = new TestClient(new WebSocket(url, headers ? { headers } : {}));
    await client.waitFor((f) => f.type === "welcome");
    return client;
  }

  send(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  /** Frames of one type. */
  of<T extends TServerEvent["type"]>(type: T): Extract<TServerEvent, { type: T }>[] {
    return this.frames.filter((f): f is Extract<TServerEvent, { type: T }> => f.type === type);
  }

  /** Waits until `count` frames match (default 1) and returns the matches. */
  async waitFor(
    predicate: (frame: TServerEvent) => boolean,
    count = 1,
    timeoutMs = 5_000,
  ): Promise<TServerEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matches = this.frames.filter(predicate);
      if (matches.length >= count) return matches;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${count} matching frame(s); got ${matches.length}. Frames: ${JSON.stringify(this.frames).slice(0, 2000)}`,
        );
      }
      await sleep(10);
    }
  }

  /** Closes and waits for the close. */
  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.closed;
  }
}

/**
 * A test database and startRealtime (memory engine, event sink, receipt relay — as in production)
 * attached to a plain http server on a free port; `stop` tears it all down.
 */
export async function startTestRealtime(): Promise<{
  t: TTestDb;
  db: TDb;
  realtime: TRealtime;
  port: number;
  stop(): Promise<void>;
}> {
  const t = await createTestDb();
  await seedWorkspace(t.db);
  const server = createServer((_req, res) => res.end());
  const env = parseEnv({ DATABASE_URL: t.url, AUTH_SECRET: TEST_SECRET, LOG_LEVEL: "silent" });
  const realtime = await startRealtime({ env, db: t.db, logger: pino({ level: "silent" }), server });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    t,
    db: t.db,
    realtime,
    port,
    async stop() {
      await realtime.closeGateway();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await realtime.close();
      await t.drop();
    },
  };
}

/** Waits `ms` so that anything still in flight would have arrived (for "exactly once" checks). */
export const settle = (ms = 300) => sleep(ms);

/** Polls `check` until it returns true. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}
