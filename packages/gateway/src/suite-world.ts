/**
 * The world of the gateway's two-mode integration suites (delivery-suite.ts, bot-stream-suite.ts):
 * a fresh test database, the fan-out as the event sink, and two gateways — in `redis` mode each
 * with its own RedisEngine on one unique key prefix (two processes on one Redis), in `memory` mode
 * one gateway and one MemoryEngine ("the other gateway" is the same one).
 */
import { randomUUID } from "node:crypto";
import {
  createFanout,
  MemoryEngine,
  RedisEngine,
  setEventSink,
  type TEngine,
  type TFanout,
} from "@parley/core";
import type { TDb } from "@parley/db";
import { seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { pino } from "pino";
import { createAuthenticator } from "./auth.ts";
import { createCoreHandlers } from "./commands.ts";
import type { TDeliveryOptions } from "./delivery.ts";
import { createGateway, type TGateway } from "./gateway.ts";
import { TEST_SECRET } from "./test-helpers.ts";

const logger = pino({ level: "silent" });
const quietLog = { warn: () => {}, error: () => {} };

/** The delivery options a suite sets for its gateways (engine and db come from the world). */
export type TSuiteDelivery = Omit<TDeliveryOptions, "engine" | "db" | "logger">;

export type TSuiteWorld = {
  testDb: TTestDb;
  db: TDb;
  engines: TEngine[];
  fanout: TFanout;
  g1: TGateway;
  g2: TGateway;
  /** Every gateway started, the two above included (closed by `close`). */
  gateways: TGateway[];
  /** A new engine of the suite's mode (same Redis key prefix: it sees the others). */
  newEngine(): TEngine;
  /** Another gateway on `engine`; `delivery` overrides the suite's options. */
  startGateway(engine: TEngine, delivery?: Partial<TSuiteDelivery>): Promise<TGateway>;
  close(): Promise<void>;
};

/** Opens the world (call in beforeAll); `close()` it in afterAll. */
export async function openSuiteWorld(
  mode: "redis" | "memory",
  delivery: TSuiteDelivery,
): Promise<TSuiteWorld> {
  const prefix = `parley-test:${randomUUID()}:`;
  const testDb = await createTestDb({ poolSize: 10 });
  const db = testDb.db;
  await seedWorkspace(db);
  const newEngine = (): TEngine =>
    mode === "redis"
      ? new RedisEngine({
          url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
          keyPrefix: prefix,
          logger: quietLog,
        })
      : new MemoryEngine();
  const engines: TEngine[] = [];
  const gateways: TGateway[] = [];
  const startGateway = async (engine: TEngine, overrides: Partial<TSuiteDelivery> = {}) => {
    const g = await createGateway({
      port: 0,
      host: "127.0.0.1",
      authenticate: createAuthenticator({ db, secret: TEST_SECRET }),
      handlers: createCoreHandlers(db),
      delivery: { ...delivery, ...overrides, engine, db },
      logger,
    });
    gateways.push(g);
    return g;
  };
  const first = newEngine();
  engines.push(first);
  const fanout = createFanout({
    db,
    engine: first,
    logger: quietLog,
    ...(delivery.largeChannelThreshold === undefined
      ? {}
      : { largeChannelThreshold: delivery.largeChannelThreshold }),
  });
  setEventSink(fanout);
  const g1 = await startGateway(first);
  let g2 = g1;
  if (mode === "redis") {
    const second = newEngine();
    engines.push(second);
    g2 = await startGateway(second);
  }
  return {
    testDb,
    db,
    engines,
    fanout,
    g1,
    g2,
    gateways,
    newEngine,
    startGateway,
    async close() {
      for (const g of gateways) await g.close({ timeoutMs: 500 });
      await fanout.close();
      for (const e of engines) await e.close();
      await testDb.drop();
    },
  };
}
