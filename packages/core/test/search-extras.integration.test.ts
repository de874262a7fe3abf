/**
 * Partial words (core/src/search/search.ts with the SearchWord lexicon, pg_trgm) and the names
 * section (core/src/search/names.ts) against real Postgres: a part of a word finds the whole word,
 * and names of channels and people are permission-filtered in the query (private channels of
 * others, a channel one was removed from, deactivated people are never listed); and the time
 * windows a search reads (search.ts) lose no match of any age and keep pages consistent.
 */
import { randomUUID } from "node:crypto";
import { seedMessages } from "@parley/db/seed";
import { describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { createChannel, removeMember } from "../src/conversations.ts";
import { sendMessage } from "../src/messages/send.ts";
import { indexSearchUntilCaughtUp } from "../src/search/indexer.ts";
import { searchNames } from "../src/search/names.ts";
import { SNIPPET_END, SNIPPET_START, searchMessages } from "../src/search/search.ts";
import { deactivateUser } from "../src/users.ts";
import { expectParley, newActor, stored, useTestDb } from "./helpers.ts";

const t = useTestDb();

/** Letters only: Postgres's parser splits a tag like "7e48e864" into a number and a word. */
function tag(length = 10): string {
  return [...randomUUID().replaceAll("-", "").slice(0, length)]
    .map((c) => String.fromCharCode(97 + Number.parseInt(c, 16)))
    .join("");
}

async function say(actor: TActor, conversationId: string, body: string) {
  return stored(await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body }));
}

async function ids(actor: TActor, query: string) {
  await indexSearchUntilCaughtUp(t.db);
  return (await searchMessages(t.db, actor, { query, limit: 50 })).hits.map((h) => h.messageId).sort();
}

describe("partial words", () => {
  it("finds a word by a part inside it, marks it, and keeps the other words required", async () => {
    const ada = await newActor(t.db, { name: `Ada ${tag()}` });
    const ops = await createChannel(t.db, ada, { name: `ops-${tag()}`, isPrivate: false, memberIds: [] });
    const x = tag();
    // Tags use the letters a–p only: nothing else starts with "zq", "zr" or "zs".
    const inside = await say(ada, ops.id, `the zq${x}ment plan is ready`);
    const also = await say(ada, ops.id, `zr${x}ing ahead`);
    await say(ada, ops.id, `nothing of it here ${tag()}`);
    // "x" (ten letters) sits inside "zq<x>ment" and "zr<x>ing", and starts no word.
    expect(await ids(ada, x)).toEqual([inside.id, also.id].sort());
    expect(await ids(ada, `${x} plan`)).toEqual([inside.id]);
    expect(await ids(ada, `${x} -plan`)).toEqual([also.id]);
    // A middle part of it, too (not only a part at the word's end).
    expect(await ids(ada, x.slice(2, 8))).toEqual([inside.id, also.id].sort());
    const [hit] = (await searchMessages(t.db, ada, { query: `${x} plan` })).hits;
    expect(hit?.snippet).toContain(`${SNIPPET_START}zq${x}ment${SNIPPET_END}`);
  });

  it("looks inside words only for a part that starts no word, and from three letters", async () => {
    const ada = await newActor(t.db, { name: `Ada ${tag()}` });
    const ops = await createChannel(t.db, ada, { name: `ops-${tag()}`, isPrivate: false, memberIds: [] });
    const y = tag();
    const zq = await say(ada, ops.id, `zq${y}`);
    expect(await ids(ada, y.slice(0, 3))).toContain(zq.id);
    // Two letters are too short to look inside words (a prefix match only).
    expect(await ids(ada, y.slice(0, 2))).not.toContain(zq.id);
    // Once a word starts with it, the part is a prefix: the word it hides in is not pulled in.
    const starts = await say(ada, ops.id, `${y}s here`);
    expect(await ids(ada, y)).toEqual([starts.id]);
  });

  it("keeps numbers out of the lexicon but finds them whole and by their start", async () => {
    const ada = await newActor(t.db, { name: `Ada ${tag()}` });
    const ops = await createChannel(t.db, ada, { name: `ops-${tag()}`, isPrivate: false, memberIds: [] });
    const word = `zt${tag()}`;
    // Random digits: a number no other test writes.
    const n = String(100_000_000 + Math.floor(Math.random() * 899_999_999));
    const m = await say(ada, ops.id, `${word} invoice ${n} due 12:30 on 2026-12-07 v3.14`);
    await indexSearchUntilCaughtUp(t.db);
    const lexicon = await t.db.$queryRaw<{ word: string }[]>`
      SELECT word FROM "SearchWord" WHERE word IN (${word}, ${n}, '12:30', '2026-12-07', 'v3.14')`;
    // The word and a token with letters go in; numbers, times and dates do not.
    expect(lexicon.map((r) => r.word).sort()).toEqual([word, "v3.14"].sort());
    expect(await ids(ada, n)).toEqual([m.id]);
    expect(await ids(ada, n.slice(0, 5))).toEqual([m.id]);
    // Its middle is not looked up (numbers are not in the lexicon).
    expect(await ids(ada, n.slice(2, 8))).toEqual([]);
  });

  it("treats LIKE wildcards and quotes in a word as text", async () => {
    const ada = await newActor(t.db, { name: `Ada ${tag()}` });
    const ops = await createChannel(t.db, ada, { name: `ops-${tag()}`, isPrivate: false, memberIds: [] });
    await say(ada, ops.id, `plain ${tag()} words`);
    await indexSearchUntilCaughtUp(t.db);
    expect(await ids(ada, "%%%")).toEqual([]);
    expect(await ids(ada, "___")).toEqual([]);
    expect(await ids(ada, "a'b\\c")).toEqual([]);
  });
});

describe("names of channels and people", () => {
  it("lists channels one can see and active people whose names contain the words", async () => {
    const x = tag(8);
    const ada = await newActor(t.db, { name: `Ada ${x}lace` });
    const bob = await newActor(t.db, { name: `Bob ${x}` });
    const eve = await newActor(t.db, { name: `Eve ${x}sdropper` });
    const pub = await createChannel(t.db, ada, { name: `dev${x}ops`, isPrivate: false, memberIds: [] });
    const priv = await createChannel(t.db, ada, {
      name: `${x}-secret`,
      isPrivate: true,
      memberIds: [bob.userId],
    });
    const names = async (actor: TActor, query: string) => {
      const r = await searchNames(t.db, actor, { query });
      return { channels: r.channels.map((c) => c.id).sort(), people: r.people.map((p) => p.id) };
    };
    // Ada (member of both) sees both channels; the exact-start name ranks first among people.
    const forAda = await names(ada, x);
    expect(forAda.channels).toEqual([pub.id, priv.id].sort());
    expect(forAda.people[0]).toBe(bob.userId);
    expect([...forAda.people].sort()).toEqual([ada.userId, bob.userId, eve.userId].sort());
    // Eve is not in the private channel: she never sees its name.
    expect((await names(eve, x)).channels).toEqual([pub.id]);
    // Bob, removed from it, no longer does.
    expect((await names(bob, x)).channels).toEqual([pub.id, priv.id].sort());
    await removeMember(t.db, ada, { conversationId: priv.id, userId: bob.userId });
    expect((await names(bob, x)).channels).toEqual([pub.id]);
    // Every word must be in the name; filters are not names; one letter lists nothing.
    expect((await names(ada, `${x} ops`)).channels).toEqual([pub.id]);
    expect((await names(ada, `eve ${x}`)).people).toEqual([eve.userId]);
    expect(await searchNames(t.db, ada, { query: `in:#dev${x}ops` })).toEqual({ channels: [], people: [] });
    expect(await searchNames(t.db, ada, { query: "a" })).toEqual({ channels: [], people: [] });
    // A deactivated account is not listed.
    const admin = await newActor(t.db, { role: "admin", name: `Admin ${tag()}` });
    await deactivateUser(t.db, admin, { userId: eve.userId });
    expect((await names(ada, x)).people.sort()).toEqual([ada.userId, bob.userId].sort());
    const [channel] = (await searchNames(t.db, eve, { query: `dev${x}` })).channels;
    expect(channel).toMatchObject({ name: `dev${x}ops`, kind: "public_channel", isMember: false });
  });

  it("refuses bad input with a clear error", async () => {
    const ada = await newActor(t.db, { name: `Ada ${tag()}` });
    await expectParley(searchNames(t.db, ada, { query: "has:video" }), "BAD_REQUEST", /has: expects/);
    await expectParley(searchNames(t.db, ada, { query: "x", limit: 99 }), "BAD_REQUEST");
    expect(await searchNames(t.db, ada, { query: "%_%" })).toEqual({ channels: [], people: [] });
  });
});

describe("filters in the index", () => {
  it("applies filters with words through fact lexemes no typed word can reach", async () => {
    const ada = await newActor(t.db, { name: `Ada ${tag()}` });
    const ops = await createChannel(t.db, ada, { name: `ops-${tag()}`, isPrivate: false, memberIds: [] });
    const w = tag();
    const root = await say(ada, ops.id, `plain ${w} root`);
    const reply = stored(
      await sendMessage(t.db, ada, {
        conversationId: ops.id,
        clientMsgId: randomUUID(),
        body: `${w} reply https://example.com`,
        threadRootId: root.id,
      }),
    );
    expect(await ids(ada, `${w} is:thread`)).toEqual([root.id, reply.id].sort());
    expect(await ids(ada, `${w} has:link`)).toEqual([reply.id]);
    expect(await ids(ada, `${w} from:me has:link is:thread`)).toEqual([reply.id]);
    // Typed, they are words ("is", "thread", "from" …), never the facts: neither message says "thread".
    expect(await ids(ada, `${w} #is:thread`)).toEqual([]);
    expect(await ids(ada, `${w} '#from:${ada.userId}'`)).toEqual([]);
    expect(await ids(ada, `${w} #has`)).toEqual([]);
  });
});

describe("time windows", () => {
  it("finds matches of every age, newest first, page after page, in both orders", async () => {
    const ada = await newActor(t.db, { name: `Ada ${tag()}` });
    const ops = await createChannel(t.db, ada, { name: `ops-${tag()}`, isPrivate: false, memberIds: [] });
    const w = tag();
    // Seven messages from now back ~6 years (a year apart): every window, and the unbounded last.
    const seeded = await seedMessages(t.db, {
      conversationId: ops.id,
      senderId: ada.userId,
      count: 7,
      stepMs: 365 * 86_400_000,
      body: (i) => `${w} ${"again ".repeat(i)}`,
    });
    await indexSearchUntilCaughtUp(t.db);
    const newestFirst = [...seeded].reverse().map((m) => m.id);
    for (const sort of ["date", "relevance"] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await searchMessages(t.db, ada, { query: w, sort, limit: 3, cursor });
        seen.push(...page.hits.map((h) => h.messageId));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      // Every one exactly once, whatever the order.
      expect([...seen].sort()).toEqual([...newestFirst].sort());
      if (sort === "date") expect(seen).toEqual(newestFirst);
    }
    // Date bounds cut the windows: only the ones from 2–4 years ago.
    const day = (ms: number) => new Date(Date.now() - ms).toISOString().slice(0, 10);
    const years = (n: number) => n * 365 * 86_400_000;
    const { hits } = await searchMessages(t.db, ada, {
      query: `${w} after:${day(years(4) + 86_400_000)} before:${day(years(2) - 86_400_000)}`,
      sort: "date",
    });
    expect(hits.map((h) => h.messageId)).toEqual(newestFirst.slice(2, 5));
  });
});
