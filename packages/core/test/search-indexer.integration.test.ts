/**
 * The background search indexer (core/src/search/indexer.ts `startSearchIndexer`) against real
 * Postgres: a write of this process wakes it (a message is searchable long before the poll
 * interval), and events written without announcing them (another process, seeding) are picked up
 * by the fallback poll — and only by it (the negative control).
 */
import { randomUUID } from "node:crypto";
import { seedMessages } from "@parley/db/seed";
import { afterEach, describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { createChannel } from "../src/conversations.ts";
import { sendMessage } from "../src/messages/send.ts";
import { indexSearchRound, indexSearchUntilCaughtUp, startSearchIndexer } from "../src/search/indexer.ts";
import { searchMessages } from "../src/search/search.ts";
import { channelName, newActor, useTestDb } from "./helpers.ts";

const t = useTestDb();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** Letters only: Postgres's parser splits a tag like "7e48e864" into a number and a word. */
function tag(): string {
  return [...randomUUID().replaceAll("-", "").slice(0, 12)]
    .map((c) => String.fromCharCode(97 + Number.parseInt(c, 16)))
    .join("");
}

async function setup() {
  const ada = await newActor(t.db, { name: `Ada ${tag()}` });
  const ops = await createChannel(t.db, ada, { name: channelName("idx"), isPrivate: false, memberIds: [] });
  await indexSearchUntilCaughtUp(t.db);
  return { ada, ops };
}

/** Milliseconds until `word` is found (polled every 25 ms), or null if not within `withinMs`. */
async function foundAfter(
  actor: TActor,
  word: string,
  since: number,
  withinMs: number,
): Promise<number | null> {
  while (Date.now() - since < withinMs) {
    const { hits } = await searchMessages(t.db, actor, { query: word });
    if (hits.length > 0) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 25));
  }
  return null;
}

function start(intervalMs: number) {
  const errors: unknown[] = [];
  stops.push(startSearchIndexer(t.db, { intervalMs, onError: (err) => errors.push(err) }));
  return errors;
}

describe("startSearchIndexer", () => {
  it("is woken by this process's writes: found well within the 30 s poll", async () => {
    const { ada, ops } = await setup();
    const errors = start(30_000);
    // Let its first round (at start) finish, so only a wake-up can index what follows.
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 3; i++) {
      const word = tag();
      const since = Date.now();
      await sendMessage(t.db, ada, { conversationId: ops.id, clientMsgId: randomUUID(), body: `${word} hi` });
      const ms = await foundAfter(ada, word, since, 5_000);
      expect(ms, `message ${i} found after ${ms} ms`).not.toBeNull();
      expect(ms).toBeLessThan(5_000);
    }
    expect(errors).toEqual([]);
  });

  it("finds unannounced writes (another process) by the fallback poll, and only by it", async () => {
    const { ada, ops } = await setup();
    // Negative control: a slow poll, and a write no wake-up announces — not found in 1.5 s.
    start(30_000);
    await new Promise((r) => setTimeout(r, 300));
    const quiet = tag();
    let since = Date.now();
    await seedMessages(t.db, { conversationId: ops.id, senderId: ada.userId, count: 1, body: () => quiet });
    expect(await foundAfter(ada, quiet, since, 1_500)).toBeNull();
    for (const stop of stops.splice(0)) await stop();

    // The fallback: a 400 ms poll finds the next one (and the earlier one) without any wake-up.
    start(400);
    const polled = tag();
    since = Date.now();
    await seedMessages(t.db, { conversationId: ops.id, senderId: ada.userId, count: 1, body: () => polled });
    expect(await foundAfter(ada, polled, since, 5_000)).not.toBeNull();
    expect(await foundAfter(ada, quiet, Date.now(), 1_000)).not.toBeNull();
  });

  it("a scoped round reads only the conversations it is given; a full round reads the rest", async () => {
    const { ada, ops } = await setup();
    const other = await createChannel(t.db, ada, {
      name: channelName("idx"),
      isPrivate: false,
      memberIds: [],
    });
    const here = tag();
    const there = tag();
    // Unannounced writes (seedMessages): no running indexer takes them meanwhile.
    await seedMessages(t.db, { conversationId: ops.id, senderId: ada.userId, count: 1, body: () => here });
    await seedMessages(t.db, { conversationId: other.id, senderId: ada.userId, count: 1, body: () => there });
    let round = await indexSearchRound(t.db, {}, [ops.id]);
    for (let i = 0; round.locked === false && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 50)); // another test file's round holds the lock
      round = await indexSearchRound(t.db, {}, [ops.id]);
    }
    expect(round.conversations).toBe(1);
    expect((await searchMessages(t.db, ada, { query: here })).hits).toHaveLength(1);
    expect((await searchMessages(t.db, ada, { query: there })).hits).toHaveLength(0);
    await indexSearchUntilCaughtUp(t.db);
    expect((await searchMessages(t.db, ada, { query: there })).hits).toHaveLength(1);
  });

  it("a woken round that misses another process's lock retries: still found in time", async () => {
    const { ada, ops } = await setup();
    // Two indexers (as two processes): rounds contend for the advisory lock.
    start(30_000);
    start(30_000);
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 5; i++) {
      const word = tag();
      const since = Date.now();
      await sendMessage(t.db, ada, { conversationId: ops.id, clientMsgId: randomUUID(), body: `${word} hi` });
      expect(await foundAfter(ada, word, since, 5_000)).not.toBeNull();
    }
  });
});
