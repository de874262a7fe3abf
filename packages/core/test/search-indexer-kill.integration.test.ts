/**
 * The search indexer killed mid-stream (issue 12's acceptance): an indexer process working
 * through a long log in small rounds is SIGKILLed — no shutdown, its connection dropped wherever
 * its statement was — and a fresh indexer resumes from the committed cursors: every message is
 * found exactly once, and the cursor ends at the log's end. Each round is one statement that
 * writes the index rows and moves the cursor together (core/src/search/indexer.ts), so a killed
 * round leaves nothing half done.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { seedMessages } from "@parley/db/seed";
import { afterEach, describe, expect, it } from "vitest";
import { createChannel } from "../src/conversations.ts";
import { indexSearchRound } from "../src/search/indexer.ts";
import { searchMessages } from "../src/search/search.ts";
import { channelName, newActor, useTestDb } from "./helpers.ts";

const t = useTestDb();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** Letters only (Postgres's parser would split digits off a word). */
const word = () =>
  [...randomUUID().replaceAll("-", "").slice(0, 10)]
    .map((c) => String.fromCharCode(97 + Number.parseInt(c, 16)))
    .join("");

/** Starts the indexer process; resolves once it has committed `rounds` rounds. */
function startIndexer(rounds: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, "search-indexer-child.ts")],
    {
      env: { ...process.env, DATABASE_URL: t.url },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let seen = 0;
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      seen += chunk.split("\n").filter((line) => line.startsWith("round ")).length;
      if (seen >= rounds) resolve(child);
      if (chunk.includes("done")) reject(new Error("the indexer finished before it could be killed"));
    });
    child.on("exit", (code) => reject(new Error(`the indexer exited (${code}) after ${seen} rounds`)));
  });
}

describe("the search indexer, SIGKILLed mid-stream", () => {
  it("resumes from its cursors: every message found once, the cursor at the log's end", async () => {
    const ada = await newActor(t.db);
    const ops = await createChannel(t.db, ada, { name: channelName("kill"), memberIds: [] });
    const tag = word();
    const count = 600;
    await seedMessages(t.db, {
      conversationId: ops.id,
      senderId: ada.userId,
      count,
      body: (i) => `${tag} number ${i}`,
    });

    // Killed after some rounds: part of the log indexed, the rest not.
    const child = await startIndexer(20);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const conv = await t.db.conversation.findUniqueOrThrow({ where: { id: ops.id } });
    const cursor = (await t.db.searchCursor.findUnique({ where: { conversationId: ops.id } }))?.seq ?? 0;
    expect(cursor).toBeGreaterThan(0);
    expect(cursor).toBeLessThan(conv.lastSeq);
    // What it committed is exactly the log up to its cursor.
    expect(await t.db.messageSearch.count({ where: { conversationId: ops.id } })).toBe(
      await t.db.message.count({ where: { conversationId: ops.id, seq: { lte: cursor } } }),
    );

    // A fresh indexer resumes (the dead backend's round may still hold the lock for a moment).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const round = await indexSearchRound(t.db);
      const seq = (await t.db.searchCursor.findUniqueOrThrow({ where: { conversationId: ops.id } })).seq;
      if (seq === conv.lastSeq && round.locked && round.conversations === 0) break;
      if (Date.now() > deadline) throw new Error(`not caught up: cursor ${seq} of ${conv.lastSeq}`);
      if (!round.locked) await new Promise((r) => setTimeout(r, 100));
    }
    expect(await t.db.messageSearch.count({ where: { conversationId: ops.id } })).toBe(count);
    const found = new Set<string>();
    let cursorPage: string | undefined;
    do {
      const page = await searchMessages(t.db, ada, {
        query: tag,
        sort: "date",
        limit: 50,
        ...(cursorPage ? { cursor: cursorPage } : {}),
      });
      for (const hit of page.hits) {
        expect(found.has(hit.messageId)).toBe(false);
        found.add(hit.messageId);
      }
      cursorPage = page.nextCursor ?? undefined;
    } while (cursorPage);
    expect(found.size).toBe(count);
  }, 90_000);
});
