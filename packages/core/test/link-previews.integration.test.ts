/**
 * Link previews end to end against a local HTTP server (real Postgres): the previewer queues a
 * message with a URL after the send, fetches the page under the SSRF guard's limits, stores the
 * preview (cache row and Message.linkPreview) and appends `message.preview`; the sender removes it.
 */
import { randomUUID } from "node:crypto";
import { EventKind } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { createChannel } from "../src/conversations.ts";
import { deleteMessage } from "../src/messages/delete.ts";
import { sendMessage } from "../src/messages/send.ts";
import { getHistory } from "../src/messages.ts";
import { fetchPage } from "../src/previews/fetch.ts";
import { removeLinkPreview } from "../src/previews/remove.ts";
import { getLinkPreviewSettings, setLinkPreviewSettings } from "../src/previews/settings.ts";
import { previewUntilCaughtUp, SWEEP_LOCK, sweepExpiredPreviews, urlHash } from "../src/previews/worker.ts";
import { channelName, expectParley, holdLock, newActor, stored, useTestDb } from "./helpers.ts";
import { startPreviewServer, type TPreviewServer } from "./link-preview-server.ts";

const t = useTestDb();
let site: TPreviewServer;
let allow: { allowHosts: string[] };

beforeAll(async () => {
  site = await startPreviewServer();
  allow = { allowHosts: [site.host] };
});
afterAll(async () => {
  await site.close();
});

async function setup() {
  const alice = await newActor(t.db);
  const bob = await newActor(t.db);
  const ch = await createChannel(t.db, alice, {
    name: channelName("pv"),
    isPrivate: false,
    memberIds: [bob.userId],
  });
  return { alice, bob, ch };
}

const send = async (actor: TActor, conversationId: string, body: string) =>
  stored(await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body }));

const previewOf = async (actor: TActor, conversationId: string, messageId: string) =>
  (await getHistory(t.db, actor, { conversationId })).messages.find((m) => m.id === messageId)?.linkPreview;

describe("link previews", () => {
  it("fetches after the send, stores the preview and appends message.preview; the sender removes it", async () => {
    const { alice, bob, ch } = await setup();
    const msg = await send(alice, ch.id, `read ${site.origin}/page please`);
    expect(msg.linkPreview).toBeNull(); // nothing on the send path
    expect(await t.db.linkPreviewJob.count({ where: { messageId: msg.id } })).toBe(0);

    const events = await t.published(ch.id, () => previewUntilCaughtUp(t.db, allow));
    const previews = events.filter((e) => e.kind === EventKind.MessagePreview);
    const expected = {
      url: `${site.origin}/page`,
      title: "Parley release notes",
      description: "Everything new in this release.",
      imageUrl: `${site.origin}/cover.png`,
      siteName: "Parley blog",
      image: null,
    };
    expect(previews.map((e) => e.payload)).toEqual([{ messageId: msg.id, preview: expected }]);
    expect(await previewOf(bob, ch.id, msg.id)).toEqual(expected);
    const cached = await t.db.linkPreview.findUnique({ where: { urlHash: urlHash(`${site.origin}/page`) } });
    expect(cached).toMatchObject({ isOk: true, title: "Parley release notes" });
    expect(cached?.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(await t.db.linkPreviewJob.count({ where: { messageId: msg.id } })).toBe(0);

    // A second message with the same URL is served from the cache: no second request.
    const before = site.hits.get("/page");
    const again = await send(bob, ch.id, `${site.origin}/page`);
    await previewUntilCaughtUp(t.db, allow);
    expect(await previewOf(bob, ch.id, again.id)).toEqual(expected);
    expect(site.hits.get("/page")).toBe(before);

    // Only the sender removes it; removal appends message.preview with null.
    await expectParley(removeLinkPreview(t.db, bob, { messageId: msg.id }), "FORBIDDEN");
    const removed = await t.published(ch.id, () => removeLinkPreview(t.db, alice, { messageId: msg.id }));
    expect(removed.map((e) => [e.kind, e.payload, e.actorId])).toEqual([
      [EventKind.MessagePreview, { messageId: msg.id, preview: null }, alice.userId],
    ]);
    expect(await previewOf(bob, ch.id, msg.id)).toBeNull();
    // Removing again writes nothing.
    expect(await t.published(ch.id, () => removeLinkPreview(t.db, alice, { messageId: msg.id }))).toEqual([]);
    // The previewer does not bring it back.
    await previewUntilCaughtUp(t.db, allow);
    expect(await previewOf(bob, ch.id, msg.id)).toBeNull();
  });

  it("drops the preview (and a pending fetch) of a deleted message", async () => {
    const { alice, ch } = await setup();
    const shown = await send(alice, ch.id, `${site.origin}/page`);
    await previewUntilCaughtUp(t.db, allow);
    expect(await previewOf(alice, ch.id, shown.id)).not.toBeNull();
    await deleteMessage(t.db, alice, { messageId: shown.id });
    const row = await t.db.message.findUnique({ where: { id: shown.id }, select: { linkPreview: true } });
    expect(row?.linkPreview).toBeNull();
    // Deleted before the previewer got to it: no preview event ever.
    const early = await send(alice, ch.id, `${site.origin}/page2?early`);
    await deleteMessage(t.db, alice, { messageId: early.id });
    const events = await t.published(ch.id, () => previewUntilCaughtUp(t.db, allow));
    expect(events.filter((e) => e.kind === EventKind.MessagePreview)).toEqual([]);
  });

  it("follows a redirect to an allowed page but refuses one to a private address", async () => {
    const { alice, ch } = await setup();
    const hop = await send(alice, ch.id, `${site.origin}/hop`);
    const toPrivate = await send(alice, ch.id, `${site.origin}/to-private`);
    await previewUntilCaughtUp(t.db, allow);
    expect((await previewOf(alice, ch.id, hop.id))?.url).toBe(`${site.origin}/page`);
    expect(await previewOf(alice, ch.id, toPrivate.id)).toBeNull();
    const page = await fetchPage(`${site.origin}/to-private`, allow);
    expect(page).toEqual({ isOk: false, reason: "address 10.0.0.1 is private" });
    expect(await fetchPage(`${site.origin}/loop`, allow)).toEqual({
      isOk: false,
      reason: "too many redirects",
    });
  });

  it("refuses private and loopback addresses unless allow-listed", async () => {
    const { alice, ch } = await setup();
    const msg = await send(alice, ch.id, `${site.origin}/page2`);
    const hitsBefore = site.hits.get("/page2") ?? 0;
    await previewUntilCaughtUp(t.db); // no allow-list
    expect(await previewOf(alice, ch.id, msg.id)).toBeNull();
    expect(site.hits.get("/page2") ?? 0).toBe(hitsBefore); // never connected
    const port = new URL(site.origin).port;
    for (const url of [
      `${site.origin}/page`,
      `http://2130706433:${port}/page`, // decimal 127.0.0.1
      `http://0177.0.0.1:${port}/page`, // octal
      `http://[::ffff:127.0.0.1]:${port}/page`,
      "http://localhost/page",
      "http://169.254.169.254/latest/meta-data/",
      "http://[::1]/",
    ]) {
      const result = await fetchPage(url, { allowHosts: [] });
      expect(result.isOk, url).toBe(false);
    }
    expect(await fetchPage("http://127.0.0.1/", { allowHosts: [] })).toEqual({
      isOk: false,
      reason: "address 127.0.0.1 is loopback",
    });
    expect((await fetchPage("ftp://example.com/", {})).isOk).toBe(false);
    expect(await fetchPage(`http://user:pw@${site.host}/page`, allow)).toEqual({
      isOk: false,
      reason: "credentials in URL",
    });
  });

  it("keeps to the time, size and content-type limits", async () => {
    const started = Date.now();
    expect(await fetchPage(`${site.origin}/slow`, { ...allow, timeoutMs: 300 })).toEqual({
      isOk: false,
      reason: "time limit",
    });
    expect(Date.now() - started).toBeLessThan(3_000);

    const huge = await fetchPage(`${site.origin}/huge`, { ...allow, maxBytes: 64 * 1024 });
    expect(huge.isOk && huge.html.length).toBe(64 * 1024);
    // The client stopped reading: far less than the 50 MiB the server would stream.
    expect(site.hugeBytesSent()).toBeLessThan(10 * 1024 * 1024);

    expect(await fetchPage(`${site.origin}/image`, allow)).toEqual({
      isOk: false,
      reason: "content type image/png",
    });
    expect(await fetchPage(`${site.origin}/missing`, allow)).toEqual({ isOk: false, reason: "status 404" });
  });

  it("queues nothing while an admin has turned previews off (audited; members may not)", async () => {
    const { alice, ch } = await setup();
    const admin = await newActor(t.db, { role: "admin" });
    await expectParley(setLinkPreviewSettings(t.db, alice, { enabled: false }), "FORBIDDEN");
    await setLinkPreviewSettings(t.db, admin, { enabled: false });
    try {
      expect(await getLinkPreviewSettings(t.db)).toEqual({ enabled: false });
      const audit = await t.db.auditEntry.findFirst({
        where: { actorId: admin.userId, action: "workspace.updated" },
        orderBy: { id: "desc" },
      });
      expect(audit?.details).toEqual({
        before: { linkPreviewsEnabled: true },
        after: { linkPreviewsEnabled: false },
      });
      const msg = await send(alice, ch.id, `${site.origin}/page`);
      const round = await previewUntilCaughtUp(t.db, allow);
      expect(round.queued).toBe(0);
      expect(await previewOf(alice, ch.id, msg.id)).toBeNull();
    } finally {
      await setLinkPreviewSettings(t.db, admin, { enabled: true });
    }
  });
});

describe("the preview cache", () => {
  const row = (url: string, expiresAt: Date) =>
    t.db.linkPreview.create({
      data: { urlHash: urlHash(url), url, isOk: true, title: "t", imageData: Buffer.alloc(64), expiresAt },
    });
  const urlsLeft = async (run: string) =>
    (await t.db.linkPreview.findMany({ where: { url: { contains: run } }, select: { url: true } }))
      .map((r) => r.url)
      .sort();
  const hour = 3_600_000;

  it("sweeps rows past their expiry and keeps the rest", async () => {
    const run = randomUUID();
    await row(`https://old.example/${run}/1`, new Date(Date.now() - 2 * hour));
    await row(`https://old.example/${run}/2`, new Date(Date.now() - 1_000));
    await row(`https://fresh.example/${run}`, new Date(Date.now() + hour));
    const swept = await sweepExpiredPreviews(t.db);
    expect(swept.isLocked).toBe(true);
    expect(swept.deleted).toBeGreaterThanOrEqual(2);
    expect(await urlsLeft(run)).toEqual([`https://fresh.example/${run}`]);
  });

  it("sweeps in one process at a time: while another holds the sweep lock, nothing is deleted", async () => {
    const run = randomUUID();
    await row(`https://old.example/${run}`, new Date(Date.now() - hour));
    // Another process mid-sweep: its transaction holds the advisory lock.
    const other = await holdLock(
      t.db,
      (tx) => tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtext(${SWEEP_LOCK}))::text`,
    );
    try {
      expect(await sweepExpiredPreviews(t.db)).toEqual({ deleted: 0, isLocked: false });
      expect(await urlsLeft(run)).toEqual([`https://old.example/${run}`]);
    } finally {
      other.release();
      await other.done;
    }
    expect((await sweepExpiredPreviews(t.db)).isLocked).toBe(true);
    expect(await urlsLeft(run)).toEqual([]);
  });
});
