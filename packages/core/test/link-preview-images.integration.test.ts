/**
 * Link preview images against a local HTTP server (real Postgres, and the real S3 server when
 * configured): the page's og:image is fetched once through the SSRF guard, re-encoded by sharp to a
 * bounded WebP without metadata, copied into storage per message and handed out only to readers;
 * removing the preview or deleting the message or channel removes the copy. Refusals: non-image
 * types, SVG (declared or disguised), undecodable bytes, oversized bodies, private addresses.
 */
import { randomUUID } from "node:crypto";
import { buffer as readAll } from "node:stream/consumers";
import type { TStorage } from "@parley/storage";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { deleteChannel } from "../src/conversations/delete.ts";
import { createChannel } from "../src/conversations.ts";
import { deleteMessage } from "../src/messages/delete.ts";
import { sendMessage } from "../src/messages/send.ts";
import { getHistory } from "../src/messages.ts";
import { fetchPreviewImage, PREVIEW_IMAGE_MAX_BYTES, PREVIEW_IMAGE_MAX_PX } from "../src/previews/image.ts";
import { getPreviewImageUrl, previewImageKey } from "../src/previews/image-store.ts";
import { removeLinkPreview } from "../src/previews/remove.ts";
import { previewUntilCaughtUp } from "../src/previews/worker.ts";
import { channelName, expectParley, newActor, stored, testStorage, useTestDb } from "./helpers.ts";
import { startPreviewServer, type TPreviewServer } from "./link-preview-server.ts";

const t = useTestDb();
const store = testStorage("lp");
let site: TPreviewServer;
let withImages: { allowHosts: string[]; storage: () => Promise<TStorage> };

beforeAll(async () => {
  site = await startPreviewServer();
  withImages = { allowHosts: [site.host], storage: async () => store.storage };
});
afterAll(async () => {
  await site.close();
});

async function setup() {
  const alice = await newActor(t.db);
  const bob = await newActor(t.db);
  const carol = await newActor(t.db);
  const ch = await createChannel(t.db, alice, {
    name: channelName("lpi"),
    isPrivate: true,
    memberIds: [bob.userId],
  });
  return { alice, bob, carol, ch };
}

const send = async (actor: TActor, conversationId: string, body: string) =>
  stored(await sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body }));

const previewOf = async (actor: TActor, conversationId: string, messageId: string) =>
  (await getHistory(t.db, actor, { conversationId })).messages.find((m) => m.id === messageId)?.linkPreview;

const pageWith = (img: string) =>
  `${site.origin}/page-image?img=${encodeURIComponent(img)}&r=${randomUUID()}`;

describe("link preview images", () => {
  it("fetches the image once, stores a re-encoded copy per message, serves it to readers only", async () => {
    const { alice, bob, carol, ch } = await setup();
    const url = pageWith("/cover.png");
    const first = await send(alice, ch.id, `look ${url}`);
    const coverHits = site.hits.get("/cover.png") ?? 0;
    await previewUntilCaughtUp(t.db, withImages);
    expect(site.hits.get("/cover.png")).toBe(coverHits + 1);

    // 1200×630 fits in the bounded box, aspect kept.
    const size = { width: PREVIEW_IMAGE_MAX_PX, height: Math.round((630 / 1200) * PREVIEW_IMAGE_MAX_PX) };
    const preview = await previewOf(bob, ch.id, first.id);
    expect(preview).toMatchObject({ title: "Parley release notes", image: size });
    expect(preview?.imageUrl).toBe(`${site.origin}/cover.png`);

    // The stored copy is a WebP of that size without the original's EXIF.
    const key = previewImageKey(ch.id, first.id);
    const bytes = await readAll(await store.storage.getObject(key));
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ format: "webp", ...size });
    expect(meta.exif).toBeUndefined();
    expect(bytes.includes("secret-exif-marker")).toBe(false);

    // Readers get a short-lived URL; outsiders are answered as if the message did not exist.
    const link = await getPreviewImageUrl(t.db, store.storage, bob, { messageId: first.id });
    expect(link.expiresAt.getTime()).toBeGreaterThan(Date.now());
    if (store.storage.kind === "s3") {
      const res = await fetch(link.url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    }
    await expectParley(getPreviewImageUrl(t.db, store.storage, carol, { messageId: first.id }), "NOT_FOUND");
    await expectParley(
      getPreviewImageUrl(t.db, store.storage, bob, { messageId: randomUUID() }),
      "NOT_FOUND",
    );

    // The same page again: served from the cache (no second image request), its own copy.
    const second = await send(bob, ch.id, url);
    await previewUntilCaughtUp(t.db, withImages);
    expect(site.hits.get("/cover.png")).toBe(coverHits + 1);
    expect((await previewOf(alice, ch.id, second.id))?.image).toEqual(size);
    expect(await store.storage.statObject(previewImageKey(ch.id, second.id))).not.toBeNull();

    // The sender removes the preview: its image goes too; the other message keeps its own.
    await removeLinkPreview(t.db, alice, { messageId: first.id }, store.storage);
    expect(await store.storage.statObject(key)).toBeNull();
    await expectParley(getPreviewImageUrl(t.db, store.storage, bob, { messageId: first.id }), "NOT_FOUND");
    expect(await store.storage.statObject(previewImageKey(ch.id, second.id))).not.toBeNull();

    // Deleting a message removes its copy.
    await deleteMessage(t.db, bob, { messageId: second.id }, store.storage);
    expect(await store.storage.statObject(previewImageKey(ch.id, second.id))).toBeNull();
    await expectParley(getPreviewImageUrl(t.db, store.storage, alice, { messageId: second.id }), "NOT_FOUND");
  });

  it("removes the copies when the channel is deleted", async () => {
    const { alice, ch } = await setup();
    const admin = await newActor(t.db, { role: "admin" });
    const msg = await send(alice, ch.id, pageWith("/cover.png"));
    await previewUntilCaughtUp(t.db, withImages);
    expect(await store.storage.statObject(previewImageKey(ch.id, msg.id))).not.toBeNull();
    await deleteChannel(t.db, admin, { conversationId: ch.id, confirmName: ch.name }, store.storage);
    expect(await store.storage.statObject(previewImageKey(ch.id, msg.id))).toBeNull();
  });

  it("refuses non-images, SVG, undecodable and oversized bodies, keeping the text preview", async () => {
    const opts = { allowHosts: [site.host] };
    const at = (p: string) => `${site.origin}${p}`;
    expect(await fetchPreviewImage(at("/cover.txt"), opts)).toEqual({
      isOk: false,
      reason: "content type text/plain",
    });
    expect(await fetchPreviewImage(at("/cover.svg"), opts)).toEqual({
      isOk: false,
      reason: "content type image/svg+xml",
    });
    // An SVG served as image/png: sharp reads what the bytes are, and it is not a raster we take.
    expect((await fetchPreviewImage(at("/fake.png"), opts)).isOk).toBe(false);
    expect(await fetchPreviewImage(at("/image"), opts)).toEqual({ isOk: false, reason: "cannot be decoded" });
    const tooLarge = { isOk: false, reason: `larger than ${PREVIEW_IMAGE_MAX_BYTES} bytes` };
    expect(await fetchPreviewImage(at("/big.png"), opts)).toEqual(tooLarge);
    expect(await fetchPreviewImage(at("/big-stream.png"), opts)).toEqual(tooLarge);
    expect((await fetchPreviewImage(at("/cover.png"), opts)).isOk).toBe(true);
    // A smaller limit refuses the real image too.
    expect(await fetchPreviewImage(at("/cover.png"), { ...opts, imageMaxBytes: 1000 })).toEqual({
      isOk: false,
      reason: "larger than 1000 bytes",
    });

    // Through the previewer: the text preview stays, without an image, and nothing is stored.
    const { alice, ch } = await setup();
    const msg = await send(alice, ch.id, pageWith("/cover.svg"));
    await previewUntilCaughtUp(t.db, withImages);
    expect(await previewOf(alice, ch.id, msg.id)).toMatchObject({
      title: "Parley release notes",
      image: null,
    });
    expect(await store.storage.statObject(previewImageKey(ch.id, msg.id))).toBeNull();
  });

  it("refuses an image at a private or loopback address unless allow-listed", async () => {
    const hits = site.hits.get("/cover.png") ?? 0;
    expect(await fetchPreviewImage(`${site.origin}/cover.png`)).toEqual({
      isOk: false,
      reason: `port ${site.host.split(":")[1]}`,
    });
    expect(await fetchPreviewImage("http://127.0.0.1/cover.png")).toEqual({
      isOk: false,
      reason: "address 127.0.0.1 is loopback",
    });
    expect(site.hits.get("/cover.png") ?? 0).toBe(hits); // never connected
    // Allowed by host name (any port), as LINK_PREVIEW_ALLOW_HOSTS=127.0.0.1 does in the e2e suite.
    expect((await fetchPreviewImage(`${site.origin}/cover.png`, { allowHosts: ["127.0.0.1"] })).isOk).toBe(
      true,
    );
    expect(await fetchPreviewImage(`${site.origin}/to-private`, { allowHosts: [site.host] })).toEqual({
      isOk: false,
      reason: "address 10.0.0.1 is private",
    });
    expect(await fetchPreviewImage("http://169.254.169.254/latest/meta-data/")).toEqual({
      isOk: false,
      reason: "address 169.254.169.254 is linkLocal",
    });
  });
});
