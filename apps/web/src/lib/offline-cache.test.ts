import { QueryClient } from "@tanstack/react-query";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { offlineCacheKey, restoreQueries, serializeQueries } from "./offline-cache";

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (key: string) => map.get(key) ?? null,
    removeItem: (key: string) => void map.delete(key),
  };
}

const at = new Date("2026-12-01T10:00:00Z");

function filledClient(): QueryClient {
  const client = new QueryClient();
  client.setQueryData(["parley", "feed", "c1"], { messages: [{ seq: 1, body: "hi", createdAt: at }] });
  client.setQueryData([["conversations", "list"], { type: "query" }], [{ id: "c1", lastSeq: 1 }]);
  client.setQueryData([["search", "messages"], { input: { q: "hi" }, type: "infinite" }], { pages: [] });
  return client;
}

describe("offline query cache", () => {
  it("restores history and the list with their Dates, never search answers", () => {
    const storage = memoryStorage();
    storage.map.set(offlineCacheKey("u1"), serializeQueries(filledClient()));
    const fresh = new QueryClient();
    expect(restoreQueries(fresh, "u1", storage)).toBe(true);
    expect(fresh.getQueryData(["parley", "feed", "c1"])).toEqual({
      messages: [{ seq: 1, body: "hi", createdAt: at }],
    });
    expect(fresh.getQueryData([["conversations", "list"], { type: "query" }])).toEqual([
      { id: "c1", lastSeq: 1 },
    ]);
    expect(
      fresh.getQueryData([["search", "messages"], { input: { q: "hi" }, type: "infinite" }]),
    ).toBeUndefined();
  });

  it("is per user: another user's key restores nothing", () => {
    const storage = memoryStorage();
    storage.map.set(offlineCacheKey("u1"), serializeQueries(filledClient()));
    const fresh = new QueryClient();
    expect(restoreQueries(fresh, "u2", storage)).toBe(false);
    expect(fresh.getQueryCache().getAll()).toHaveLength(0);
  });

  it("drops a copy from another build, or one too old, and removes it", () => {
    for (const change of [{ build: "older-build" }, { savedAt: Date.now() - 8 * 24 * 60 * 60_000 }]) {
      const storage = memoryStorage();
      const saved = superjson.parse<Record<string, unknown>>(serializeQueries(filledClient()));
      storage.map.set(offlineCacheKey("u1"), superjson.stringify({ ...saved, ...change }));
      const fresh = new QueryClient();
      expect(restoreQueries(fresh, "u1", storage)).toBe(false);
      expect(storage.map.size).toBe(0);
      expect(fresh.getQueryCache().getAll()).toHaveLength(0);
    }
  });

  it("keeps what the cache already holds when it is newer", () => {
    const storage = memoryStorage();
    storage.map.set(offlineCacheKey("u1"), serializeQueries(filledClient()));
    const fresh = new QueryClient();
    fresh.setQueryData(["parley", "feed", "c1"], { messages: [] }, { updatedAt: Date.now() + 60_000 });
    restoreQueries(fresh, "u1", storage);
    expect(fresh.getQueryData(["parley", "feed", "c1"])).toEqual({ messages: [] });
  });
});
