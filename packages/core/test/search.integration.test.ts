/**
 * Search (core/src/search) against real Postgres: the indexer follows the Event log (edits and
 * deletes reach the index, a failed round loses nothing), every operator of the query language
 * narrows what it should, and permissions are part of the query (private channels of others,
 * channels left or removed from, other people's DMs, deleted messages and old text of edits are
 * never found); files and voice messages uploaded as the app does are found by has:file/has:voice.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLocalStorage, type TStorage } from "@parley/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { createChannel, leaveConversation, openDm, removeMember } from "../src/conversations.ts";
import { completeUpload, createUpload } from "../src/files.ts";
import { deleteMessage } from "../src/messages/delete.ts";
import { editMessage } from "../src/messages/edit.ts";
import { pinMessage, unpinMessage } from "../src/messages/pins.ts";
import { sendMessage } from "../src/messages/send.ts";
import { indexSearchRound, indexSearchUntilCaughtUp } from "../src/search/indexer.ts";
import { SNIPPET_END, SNIPPET_START, searchMessages } from "../src/search/search.ts";
import { channelName, expectParley, newActor, stored, useTestDb } from "./helpers.ts";

const t = useTestDb();

async function say(actor: TActor, conversationId: string, body: string, extra: Record<string, unknown> = {}) {
  return stored(
    await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body, ...extra }),
  );
}

async function find(actor: TActor, query: string, extra: Record<string, unknown> = {}) {
  await indexSearchUntilCaughtUp(t.db);
  const { hits } = await searchMessages(t.db, actor, { query, ...extra });
  return hits;
}

/** A small world: ada and bob in #ops (public) and #secret (private, ada only), a DM ada–bob. */
async function world() {
  // Letters only: Postgres's parser would split a tag like "7e48e864" into a number and a word.
  const tag = [...randomUUID().replaceAll("-", "").slice(0, 10)]
    .map((c) => String.fromCharCode(97 + Number.parseInt(c, 16)))
    .join("");
  const ada = await newActor(t.db, { name: `Ada ${tag}` });
  const bob = await newActor(t.db, { name: `Bob ${tag}` });
  const eve = await newActor(t.db, { name: `Eve ${tag}` });
  const ops = await createChannel(t.db, ada, {
    name: channelName("ops"),
    isPrivate: false,
    memberIds: [bob.userId],
  });
  const secret = await createChannel(t.db, ada, {
    name: channelName("secret"),
    isPrivate: true,
    memberIds: [],
  });
  const dm = await openDm(t.db, ada, { userIds: [bob.userId] });
  return { tag, ada, bob, eve, ops, secret, dm };
}

describe("search", () => {
  it("finds words by stem and prefix, phrases exactly, and leaves out excluded words", async () => {
    const { tag, ada, ops } = await world();
    const a = await say(ada, ops.id, `Deployments of ${tag} went fine`);
    const b = await say(ada, ops.id, `the release notes for ${tag} are out`);
    const c = await say(ada, ops.id, `notes on the release of ${tag} staging`);
    expect((await find(ada, `deploy ${tag}`)).map((h) => h.messageId)).toEqual([a.id]);
    expect((await find(ada, `deplo ${tag}`)).map((h) => h.messageId)).toEqual([a.id]);
    expect((await find(ada, `"release notes" ${tag}`)).map((h) => h.messageId)).toEqual([b.id]);
    expect((await find(ada, `release ${tag}`, { sort: "date" })).map((h) => h.messageId)).toEqual([
      c.id,
      b.id,
    ]);
    expect((await find(ada, `release ${tag} -staging`)).map((h) => h.messageId)).toEqual([b.id]);
    const [hit] = await find(ada, `deployments ${tag}`);
    expect(hit?.snippet).toContain(`${SNIPPET_START}Deployments${SNIPPET_END}`);
    expect(hit).toMatchObject({ senderId: ada.userId, conversationId: ops.id, seq: a.seq });
  });

  it("narrows by in:, from:, has:, is:, mentions: and dates", async () => {
    const { tag, ada, bob, ops, dm } = await world();
    const inOps = await say(ada, ops.id, `alpha ${tag} see https://example.com`);
    const inDm = await say(bob, dm.id, `alpha ${tag} <@${ada.userId}> ping`);
    const reply = await say(bob, ops.id, `alpha ${tag} reply`, { threadRootId: inOps.id });
    await pinMessage(t.db, ada, { messageId: inDm.id });
    const file = await t.db.attachment.create({
      data: {
        uploaderId: ada.userId,
        conversationId: ops.id,
        objectKey: `k/${randomUUID()}`,
        name: `diagram-${tag}.png`,
        mime: "image/png",
        size: 10n,
        status: "ready",
      },
    });
    const withFile = await say(ada, ops.id, `alpha ${tag} picture`, { attachmentIds: [file.id] });
    const ids = async (q: string) => (await find(ada, q)).map((h) => h.messageId).sort();
    const sorted = (...xs: { id: string }[]) => xs.map((x) => x.id).sort();
    expect(await ids(`alpha ${tag}`)).toEqual(sorted(inOps, inDm, reply, withFile));
    expect(await ids(`alpha ${tag} in:#${ops.name}`)).toEqual(sorted(inOps, reply, withFile));
    expect(await ids(`alpha ${tag} in:@${bob.email}`)).toEqual(sorted(inDm));
    expect(await ids(`alpha ${tag} from:@"${bob.name}"`)).toEqual(sorted(inDm, reply));
    expect(await ids(`alpha ${tag} from:me`)).toEqual(sorted(inOps, withFile));
    expect(await ids(`alpha ${tag} has:link`)).toEqual(sorted(inOps));
    expect(await ids(`alpha ${tag} has:image`)).toEqual(sorted(withFile));
    expect(await ids(`alpha ${tag} has:voice`)).toEqual([]);
    // File names are searchable, whole and by their parts.
    expect(await ids(`diagram-${tag}.png`)).toEqual(sorted(withFile));
    expect(await ids(`diagram ${tag}`)).toEqual(sorted(withFile));
    expect(await ids(`alpha ${tag} is:thread`)).toEqual(sorted(inOps, reply));
    expect(await ids(`alpha ${tag} is:pinned`)).toEqual(sorted(inDm));
    expect(await ids(`alpha ${tag} mentions:me`)).toEqual(sorted(inDm));
    const today = new Date().toISOString().slice(0, 10);
    expect(await ids(`alpha ${tag} on:${today}`)).toHaveLength(4);
    expect(await ids(`alpha ${tag} before:${today}`)).toEqual([]);
    expect(await ids(`alpha ${tag} after:${today}`)).toEqual([]);
    // Filters alone: newest first.
    expect((await find(ada, `from:me in:#${ops.name}`)).map((h) => h.messageId)).toEqual([
      withFile.id,
      inOps.id,
    ]);
    // Inside one conversation or one thread.
    expect((await find(ada, `alpha ${tag}`, { conversationId: dm.id })).map((h) => h.messageId)).toEqual([
      inDm.id,
    ]);
    expect(
      (await find(ada, `alpha ${tag}`, { threadRootId: inOps.id })).map((h) => h.messageId).sort(),
    ).toEqual(sorted(inOps, reply));
  });

  it("keeps what the filters ask current: a later pin, unpin or reply re-indexes the message", async () => {
    const { tag, ada, ops } = await world();
    const root = await say(ada, ops.id, `theta${tag} root`);
    const ids = async (q: string) => (await find(ada, q)).map((h) => h.messageId);
    expect(await ids(`theta${tag} is:pinned`)).toEqual([]);
    expect(await ids(`theta${tag} is:thread`)).toEqual([]);
    await pinMessage(t.db, ada, { messageId: root.id });
    expect(await ids(`theta${tag} is:pinned`)).toEqual([root.id]);
    await unpinMessage(t.db, ada, { messageId: root.id });
    expect(await ids(`theta${tag} is:pinned`)).toEqual([]);
    // A reply without the word: the root alone becomes a thread.
    const reply = await say(ada, ops.id, "a reply", { threadRootId: root.id });
    expect(await ids(`theta${tag} is:thread`)).toEqual([root.id]);
    // Its delete makes the root a plain message again.
    await deleteMessage(t.db, ada, { messageId: reply.id });
    expect(await ids(`theta${tag} is:thread`)).toEqual([]);
  });

  it("filters by permission in the query: private channels, channels left, others' DMs", async () => {
    const { tag, ada, bob, eve, ops, secret, dm } = await world();
    await say(ada, secret.id, `gamma ${tag} secret`);
    await say(ada, dm.id, `gamma ${tag} dm`);
    await say(ada, ops.id, `gamma ${tag} public`);
    expect(await find(ada, `gamma ${tag}`)).toHaveLength(3);
    expect((await find(bob, `gamma ${tag}`)).map((h) => h.snippet).sort()).toEqual(
      [
        `${SNIPPET_START}gamma${SNIPPET_END} ${SNIPPET_START}${tag}${SNIPPET_END} dm`,
        `${SNIPPET_START}gamma${SNIPPET_END} ${SNIPPET_START}${tag}${SNIPPET_END} public`,
      ].sort(),
    );
    // Eve is in none of them; public channels are readable by everyone in the workspace.
    expect((await find(eve, `gamma ${tag}`)).map((h) => h.conversationId)).toEqual([ops.id]);
    const shared = await createChannel(t.db, ada, {
      name: channelName("priv"),
      isPrivate: true,
      memberIds: [eve.userId],
    });
    await say(ada, shared.id, `gamma ${tag} shared`);
    expect(await find(eve, `gamma ${tag}`)).toHaveLength(2);
    await leaveConversation(t.db, eve, { conversationId: shared.id });
    expect((await find(eve, `gamma ${tag}`)).map((h) => h.conversationId)).toEqual([ops.id]);
  });

  it("never finds deleted messages or the old text of edited ones", async () => {
    const { tag, ada, ops } = await world();
    const edited = await say(ada, ops.id, `before${tag} text`);
    const deleted = await say(ada, ops.id, `doomed${tag} text`);
    expect(await find(ada, `before${tag}`)).toHaveLength(1);
    expect(await find(ada, `doomed${tag}`)).toHaveLength(1);
    await editMessage(t.db, ada, { messageId: edited.id, body: `after${tag} text` });
    await deleteMessage(t.db, ada, { messageId: deleted.id });
    expect(await find(ada, `before${tag}`)).toEqual([]);
    expect((await find(ada, `after${tag}`)).map((h) => h.messageId)).toEqual([edited.id]);
    expect(await find(ada, `doomed${tag}`)).toEqual([]);
    expect(await t.db.messageSearch.count({ where: { messageId: deleted.id } })).toBe(0);
  });

  it("resumes from its cursors after a round that failed, losing and repeating nothing", async () => {
    const { tag, ada, ops } = await world();
    await indexSearchUntilCaughtUp(t.db);
    for (let i = 0; i < 30; i++) await say(ada, ops.id, `delta${tag} number ${i}`);
    const cursorBefore = await t.db.searchCursor.findUnique({ where: { conversationId: ops.id } });
    // A round killed mid-way: its statement is rolled back with everything it wrote.
    await expect(
      t.db.$transaction(async (tx) => {
        await indexSearchRound(tx as never, { conversations: 1000, events: 10 });
        throw new Error("killed");
      }),
    ).rejects.toThrow("killed");
    expect(await t.db.searchCursor.findUnique({ where: { conversationId: ops.id } })).toEqual(cursorBefore);
    // Small rounds resume from the committed cursors until caught up.
    let rounds = 0;
    while ((await indexSearchRound(t.db, { conversations: 1000, events: 7 })).conversations > 0) rounds++;
    expect(rounds).toBeGreaterThan(1);
    const hits = await find(ada, `delta${tag}`, { limit: 50 });
    expect(hits).toHaveLength(30);
    expect(new Set(hits.map((h) => h.messageId)).size).toBe(30);
    const conv = await t.db.conversation.findUniqueOrThrow({ where: { id: ops.id } });
    expect((await t.db.searchCursor.findUniqueOrThrow({ where: { conversationId: ops.id } })).seq).toBe(
      conv.lastSeq,
    );
  });

  it("pages with nextCursor and refuses bad input with a clear error", async () => {
    const { tag, ada, ops } = await world();
    for (let i = 0; i < 5; i++) await say(ada, ops.id, `epsilon${tag} ${i}`);
    await indexSearchUntilCaughtUp(t.db);
    const first = await searchMessages(t.db, ada, { query: `epsilon${tag}`, limit: 3, sort: "date" });
    expect(first.hits).toHaveLength(3);
    expect(first.nextCursor).not.toBeNull();
    const second = await searchMessages(t.db, ada, {
      query: `epsilon${tag}`,
      limit: 3,
      sort: "date",
      cursor: first.nextCursor ?? undefined,
    });
    expect(second.hits).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.hits, ...second.hits].map((h) => h.messageId)).size).toBe(5);
    await expectParley(searchMessages(t.db, ada, { query: "has:video" }), "BAD_REQUEST", /has: expects/);
    // Bad input to core itself (not only through tRPC's validation) is a BAD_REQUEST too.
    await expectParley(searchMessages(t.db, ada, { query: "x", limit: 500 }), "BAD_REQUEST");
    await expectParley(
      searchMessages(t.db, ada, { query: "x", cursor: "-4" }),
      "BAD_REQUEST",
      /Invalid cursor/,
    );
    // Quotes, backslashes and tsquery syntax in words are just text.
    expect(await find(ada, `it's \\ a & b | !c :* (d)`)).toEqual([]);
  });
});

describe("search: files, removal and ranking", () => {
  let storage: TStorage;
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "parley-search-"));
    storage = createLocalStorage({
      dir,
      publicBaseUrl: "http://127.0.0.1:9",
      secret: "search-test-secret-search-test-secret",
    });
    await storage.ensureBucket();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** An upload as the app makes it: createUpload, the bytes stored, completeUpload. */
  async function upload(actor: TActor, conversationId: string, file: Record<string, unknown>, bytes: Buffer) {
    const ticket = await createUpload(t.db, storage, actor, { conversationId, size: bytes.length, ...file });
    const row = await t.db.attachment.findUniqueOrThrow({ where: { id: ticket.attachmentId } });
    await storage.putObject(row.objectKey, bytes, { contentType: String(file.mime), size: bytes.length });
    return completeUpload(t.db, storage, actor, { attachmentId: ticket.attachmentId });
  }

  it("finds a voice message by has:voice and a file by has:file, with words and without", async () => {
    const { tag, ada, ops } = await world();
    // What the recorder uploads: a WebM (EBML header, then opaque bytes) with duration and waveform.
    const webm = Buffer.concat([
      Buffer.from("1a45dfa39f4286810142f7810142f2810442f381084282847765626d", "hex"),
      randomBytes(3000),
    ]);
    const voice = await upload(
      ada,
      ops.id,
      {
        name: "Voice message.webm",
        mime: "audio/webm;codecs=opus",
        durationMs: 2_500,
        waveform: [1, 90, 200],
      },
      webm,
    );
    expect(voice.mime).toBe("audio/webm");
    const file = await upload(
      ada,
      ops.id,
      { name: `minutes-${tag}.txt`, mime: "text/plain" },
      Buffer.from(`minutes of ${tag}`),
    );
    const spoken = await say(ada, ops.id, `omega ${tag} listen`, { attachmentIds: [voice.id] });
    const written = await say(ada, ops.id, `omega ${tag} read`, { attachmentIds: [file.id] });
    const plain = await say(ada, ops.id, `omega ${tag} plain`);
    const ids = async (q: string) => (await find(ada, q)).map((h) => h.messageId).sort();
    expect(await ids(`omega ${tag}`)).toEqual([spoken.id, written.id, plain.id].sort());
    // With words (the fact lexemes of the index) and alone (Message itself).
    expect(await ids(`omega ${tag} has:voice`)).toEqual([spoken.id]);
    expect(await ids(`omega ${tag} has:file`)).toEqual([spoken.id, written.id].sort());
    expect(await ids(`omega ${tag} has:image`)).toEqual([]);
    expect(await ids(`in:#${ops.name} has:voice`)).toEqual([spoken.id]);
    expect(await ids(`in:#${ops.name} has:file`)).toEqual([spoken.id, written.id].sort());
  });

  it("a member removed from a private channel by someone else no longer finds its messages", async () => {
    const { tag, ada, bob, ops } = await world();
    const priv = await createChannel(t.db, ada, {
      name: channelName("priv"),
      isPrivate: true,
      memberIds: [bob.userId],
    });
    const inside = await say(ada, priv.id, `sigma ${tag} inside`);
    const outside = await say(ada, ops.id, `sigma ${tag} outside`);
    const ids = async (q: string, extra: Record<string, unknown> = {}) =>
      (await find(bob, q, extra)).map((h) => h.messageId).sort();
    expect(await ids(`sigma ${tag}`)).toEqual([inside.id, outside.id].sort());
    expect(await ids(`in:#${priv.name}`)).toEqual([inside.id]);
    await removeMember(t.db, ada, { conversationId: priv.id, userId: bob.userId });
    expect(await ids(`sigma ${tag}`)).toEqual([outside.id]);
    // Not by naming it, nor by scoping to it, nor by filters alone (the Message path).
    expect(await ids(`sigma ${tag} in:#${priv.name}`)).toEqual([]);
    expect(await ids(`sigma ${tag}`, { conversationId: priv.id })).toEqual([]);
    expect(await ids(`in:#${priv.name}`)).toEqual([]);
    expect(await ids(`from:@"${ada.name}"`)).toEqual([outside.id]);
    // Ada, still a member, does.
    expect((await find(ada, `sigma ${tag}`)).map((h) => h.messageId).sort()).toEqual(
      [inside.id, outside.id].sort(),
    );
  });

  it("by relevance puts the best match first, where by date the newest comes first", async () => {
    const { tag, ada, ops } = await world();
    const best = await say(ada, ops.id, `kappa${tag} kappa${tag} kappa${tag}: the kappa${tag} plan`);
    const newer = await say(ada, ops.id, `kappa${tag} once, among many other words of a longer message`);
    const byDate = (await find(ada, `kappa${tag}`, { sort: "date" })).map((h) => h.messageId);
    const byRank = (await find(ada, `kappa${tag}`, { sort: "relevance" })).map((h) => h.messageId);
    expect(byDate).toEqual([newer.id, best.id]);
    expect(byRank).toEqual([best.id, newer.id]);
    // Relevance is the default when the query has words.
    expect((await find(ada, `kappa${tag}`)).map((h) => h.messageId)).toEqual(byRank);
  });
});
