import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv } from "@parley/config";
import type { TDb } from "@parley/db";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { createStorage, type TStorage } from "@parley/storage";
import { afterAll, beforeAll, expect } from "vitest";
import type { TActor } from "../src/actor.ts";
import { isParleyError, type TParleyErrorCode } from "../src/errors.ts";
import { MemoryEventBus, setEventSink, type TConversationEventRecord } from "../src/events.ts";
import type { TSendMessageResult } from "../src/messages/send.ts";
import type { TMessageDto } from "../src/messages.ts";

/** A test database with a workspace row; pool ≥ 10 so concurrency tests really run concurrently. */
export async function setupDb(options: { allowOpenSignup?: boolean } = {}): Promise<TTestDb> {
  const t = await createTestDb({ poolSize: 12 });
  await seedWorkspace(t.db, { name: "Test", allowOpenSignup: options.allowOpenSignup ?? false });
  return t;
}

/**
 * The usual start of a core integration file: its own database (created before the file's tests,
 * dropped after them) and an in-memory event bus installed as the sink, so tests can read what a
 * write published. `t.db` throws if used outside a test.
 */
export function useTestDb(options: { allowOpenSignup?: boolean } = {}): {
  readonly db: TDb;
  /** The database's URL, for a second client on it (a second process, as it were). */
  readonly url: string;
  bus: MemoryEventBus;
  /** The events published for one conversation while `fn` runs. */
  published: (conversationId: string, fn: () => Promise<unknown>) => Promise<TConversationEventRecord[]>;
} {
  let testDb: TTestDb | undefined;
  const bus = new MemoryEventBus();
  beforeAll(async () => {
    testDb = await setupDb(options);
    setEventSink(bus);
  });
  afterAll(async () => {
    await testDb?.drop();
  });
  return {
    get db(): TDb {
      if (!testDb) throw new Error("the test database exists only while the file's tests run");
      return testDb.db;
    },
    get url(): string {
      if (!testDb) throw new Error("the test database exists only while the file's tests run");
      return testDb.url;
    },
    bus,
    async published(conversationId, fn) {
      const seen: TConversationEventRecord[] = [];
      const off = bus.subscribeConversation(conversationId, (e) => seen.push(e));
      try {
        await fn();
      } finally {
        off();
      }
      return seen;
    },
  };
}

/**
 * The file's attachment store, made before its tests and removed after them: `createStorage` on
 * the S3 test server when S3_ENDPOINT is set (scripts/s3-server.sh; bucket `parley-<prefix>-<pid>`,
 * so files do not see each other's objects), else on local disk in a fresh temporary directory
 * (`parley-<prefix>-…`). `storage` throws outside the file's tests.
 */
export function testStorage(prefix: string): { readonly storage: TStorage } {
  let storage: TStorage | undefined;
  let localDir: string | undefined;
  beforeAll(async () => {
    const env = process.env;
    if (!env.S3_ENDPOINT) localDir = await mkdtemp(path.join(tmpdir(), `parley-${prefix}-`));
    storage = createStorage(
      parseEnv({
        DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
        AUTH_SECRET: "storage-test-secret-storage-test-secret",
        PUBLIC_URL: "http://127.0.0.1:1",
        STORAGE_DIR: localDir,
        S3_BUCKET: `parley-${prefix}-${process.pid}`,
        S3_ENDPOINT: env.S3_ENDPOINT,
        S3_PORT: env.S3_PORT,
        S3_USE_SSL: env.S3_USE_SSL,
        S3_ACCESS_KEY: env.S3_ACCESS_KEY,
        S3_SECRET_KEY: env.S3_SECRET_KEY,
        S3_REGION: env.S3_REGION,
        S3_PATH_STYLE: env.S3_PATH_STYLE,
      }),
    );
    await storage.ensureBucket();
  });
  afterAll(async () => {
    if (localDir) await rm(localDir, { recursive: true, force: true });
  });
  return {
    get storage(): TStorage {
      if (!storage) throw new Error("the test storage exists only while the file's tests run");
      return storage;
    },
  };
}

/** A seeded user and its actor. */
export async function newActor(
  db: TDb,
  options: { role?: TActor["role"]; name?: string } = {},
): Promise<TActor & { name: string; email: string; password: string }> {
  const user = await seedUser(db, options);
  return { userId: user.id, role: user.role, name: user.name, email: user.email, password: user.password };
}

/** Asserts the promise rejects with a ParleyError of `code` (and returns it). */
export async function expectParley(promise: Promise<unknown>, code: TParleyErrorCode, message?: RegExp) {
  const err = await promise.then(
    () => {
      throw new Error(`expected ${code}, but it resolved`);
    },
    (e: unknown) => e,
  );
  if (!isParleyError(err)) throw err;
  expect(err.code).toBe(code);
  if (message) expect(err.message).toMatch(message);
  return err;
}

/** Row counts of the log tables, to prove a rejected call wrote nothing. */
export async function logCounts(db: TDb) {
  const [events, messages, userEvents] = await Promise.all([
    db.event.count(),
    db.message.count(),
    db.userEvent.count(),
  ]);
  return { events, messages, userEvents };
}

let channelCounter = 0;
/** A unique channel name. */
export function channelName(prefix = "ch"): string {
  channelCounter += 1;
  return `${prefix}-${process.pid}-${channelCounter}-${Math.floor(Math.random() * 1e6)}`;
}

/** The message a first send stored (fails the test if the send was answered as a duplicate). */
export function stored(result: TSendMessageResult): TMessageDto {
  if (result.duplicate) throw new Error("expected a first send, got a duplicate answer");
  return result.message;
}

/**
 * Holds a row lock in a transaction of its own until `release()`: `lock` runs in it first (e.g.
 * `SELECT … FOR UPDATE`); `held` resolves once it has, `done` when the transaction has ended.
 */
export async function holdLock(
  db: TDb,
  lock: (tx: Pick<TDb, "$queryRaw">) => Promise<unknown>,
): Promise<{ release: () => void; done: Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let held!: () => void;
  const isHeld = new Promise<void>((resolve) => {
    held = resolve;
  });
  const done = db.$transaction(
    async (tx) => {
      await lock(tx);
      held();
      await released;
    },
    { timeout: 30_000 },
  );
  await Promise.race([isHeld, done]);
  return { release, done };
}

/**
 * Waits until at least `n` sessions of this test's database wait for a lock — a write provably
 * blocked, not a timing guess (polled from outside any transaction: pg_stat_activity is
 * snapshotted once per transaction). Fails after 10 s.
 */
export async function waitForLockWaiters(db: TDb, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [row] = await db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    if ((row?.n ?? 0) >= n) return;
    if (Date.now() > deadline)
      throw new Error(`expected ${n} sessions waiting for a lock, saw ${row?.n ?? 0}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
