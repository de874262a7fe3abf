import { parseEnv } from "@parley/config";
import type { TDb } from "@parley/db";
import { describe, expect, it, vi } from "vitest";
import { createContext } from "../src/trpc.ts";

// Core's own functions, called through, only counted.
const calls = vi.hoisted(() => ({ limits: [] as unknown[], batching: [] as unknown[] }));
vi.mock("@parley/core", async (importOriginal) => {
  const core = await importOriginal<typeof import("@parley/core")>();
  return {
    ...core,
    configureLimits: (next: Parameters<typeof core.configureLimits>[0]) => {
      calls.limits.push(next);
      core.configureLimits(next);
    },
    configureSendBatching: (next: Parameters<typeof core.configureSendBatching>[0]) => {
      calls.batching.push(next);
      core.configureSendBatching(next);
    },
  };
});

const settings = (extra: Record<string, string> = {}) =>
  parseEnv({
    DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/unused",
    AUTH_SECRET: "a-secret-that-is-at-least-32-characters-long",
    PUBLIC_URL: "http://localhost:3000",
    ...extra,
  });

// No session and no token: createContext never touches the database.
const db = {} as TDb;

describe("createContext", () => {
  it("hands core the settings once per settings object, send batching included", async () => {
    // The default message length: the old per-request check compared only that, and so never
    // applied SEND_BATCH_MAX here.
    const env = settings({ SEND_BATCH_MAX: "7", SEND_BATCH_IN_FLIGHT: "3", SEND_BATCH_GATHER_MS: "9" });
    for (let i = 0; i < 5; i++) expect((await createContext({ db, env })).actor).toBeNull();
    expect(calls.batching).toEqual([{ maxBatch: 7, maxInFlight: 3, gatherMs: 9 }]);
    expect(calls.limits).toEqual([{ maxMessageLength: env.MAX_MESSAGE_LENGTH }]);

    const other = settings({ MAX_MESSAGE_LENGTH: "100" });
    await createContext({ db, env: other });
    await createContext({ db, env: other });
    expect(calls.limits).toEqual([{ maxMessageLength: env.MAX_MESSAGE_LENGTH }, { maxMessageLength: 100 }]);
    expect(calls.batching).toHaveLength(2);
  });
});
