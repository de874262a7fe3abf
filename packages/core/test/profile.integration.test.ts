/**
 * Profiles and avatars on real Postgres and real storage (the S3 test server when S3_ENDPOINT is
 * set, as in CI; local disk otherwise): avatar images verified, decoded and stored as square
 * thumbnails; non-images and decompression bombs refused with nothing stored; profile fields
 * validated; only yourself or an admin who outranks you (audit-logged); changes announced live.
 */
import { randomUUID } from "node:crypto";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { createChannel } from "../src/conversations.ts";
import {
  AVATAR_MAX_PIXELS,
  avatarDownloadUrl,
  avatarKeyFor,
  completeAvatarUpload,
  createAvatarUpload,
  removeAvatar,
} from "../src/profile/avatar.ts";
import { getProfile, updateProfile } from "../src/profile/profile.ts";
import { channelName, expectParley, logCounts, newActor, testStorage, useTestDb } from "./helpers.ts";

const t = useTestDb();
const store = testStorage("avatars");

beforeAll(() => {
  if (!process.env.S3_ENDPOINT && process.env.CI === "true")
    throw new Error('S3_ENDPOINT is not set: eval "$(bash scripts/s3-server.sh start)"');
});

type TUploader = Awaited<ReturnType<typeof newActor>>;

/**
 * Uploads `bytes` as the browser does: a presigned PUT (S3), or straight into the store (local
 * disk, whose signed URLs the web app serves); then completes it.
 */
async function uploadAvatar(actor: TUploader, bytes: Buffer, mime: string, userId?: string) {
  const ticket = await createAvatarUpload(t.db, store.storage, actor, { userId, size: bytes.length, mime });
  if (store.storage.kind === "s3") {
    const put = await fetch(ticket.upload.url, {
      method: "PUT",
      headers: ticket.upload.headers,
      body: new Uint8Array(bytes),
    });
    expect(put.status).toBe(200);
  } else {
    const key = `avatar/${userId ?? actor.userId}/upload`;
    await store.storage.putObject(key, bytes, { contentType: mime, size: bytes.length });
  }
  return completeAvatarUpload(t.db, store.storage, actor, { userId });
}

/** Keys stored under a person's avatar prefix. */
async function storedKeys(userId: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.storage.listObjects(`avatar/${userId}/`)) keys.push(o.key);
  return keys.sort();
}

async function readStored(key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.storage.getObject(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A valid small PNG whose header claims width × height (a decompression bomb's shape). */
async function bombPng(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: "#000" } })
      .png()
      .toBuffer(),
  );
  // Signature (8), then IHDR: length (4), "IHDR" (4), width, height, …, CRC over type + data.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

describe("avatars", () => {
  it("turns a real PNG and JPEG into square WebP thumbnails, served by a URL only while current", async () => {
    const ada = await newActor(t.db, { name: "Ada" });
    const png = await sharp({ create: { width: 500, height: 300, channels: 3, background: "#c33" } })
      .png()
      .toBuffer();
    const first = await uploadAvatar(ada, png, "image/png");
    expect(first.avatarId).toMatch(/^[0-9a-f-]{36}$/);
    const firstId = first.avatarId as string;
    for (const px of [64, 256] as const) {
      const meta = await sharp(await readStored(avatarKeyFor(ada.userId, firstId, px))).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["webp", px, px]);
    }
    // The upload itself is gone: only the thumbnails stay.
    expect(await storedKeys(ada.userId)).toEqual(
      [avatarKeyFor(ada.userId, firstId, 256), avatarKeyFor(ada.userId, firstId, 64)].sort(),
    );

    const jpeg = await sharp({ create: { width: 90, height: 120, channels: 3, background: "#36c" } })
      .jpeg()
      .toBuffer();
    const second = await uploadAvatar(ada, jpeg, "image/jpeg");
    const secondId = second.avatarId as string;
    expect(secondId).not.toBe(firstId);
    const meta = await sharp(await readStored(avatarKeyFor(ada.userId, secondId, 64))).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["webp", 64, 64]);
    // The previous avatar's objects were removed.
    expect(await storedKeys(ada.userId)).toEqual(
      [avatarKeyFor(ada.userId, secondId, 256), avatarKeyFor(ada.userId, secondId, 64)].sort(),
    );

    const viewer = await newActor(t.db);
    const link = await avatarDownloadUrl(t.db, store.storage, viewer, {
      userId: ada.userId,
      avatarId: secondId,
      size: 256,
    });
    if (store.storage.kind === "s3") {
      const response = await fetch(link.url);
      expect(response.status).toBe(200);
      const served = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      expect([served.format, served.width]).toEqual(["webp", 256]);
    }
    await expectParley(
      avatarDownloadUrl(t.db, store.storage, viewer, { userId: ada.userId, avatarId: firstId, size: 64 }),
      "NOT_FOUND",
    );

    await removeAvatar(t.db, store.storage, ada, {});
    expect((await getProfile(t.db, viewer, { userId: ada.userId })).avatarId).toBeNull();
    expect(await storedKeys(ada.userId)).toEqual([]);
  });

  it("refuses a text file named .png, and a huge image, storing nothing", async () => {
    const bo = await newActor(t.db);
    const before = await logCounts(t.db);
    const text = Buffer.from("just some text, not an image at all\n".repeat(20));
    await expectParley(
      uploadAvatar(bo, text, "image/png"),
      "BAD_REQUEST",
      /not a PNG, JPEG, GIF or WebP image/,
    );
    expect(await storedKeys(bo.userId)).toEqual([]);

    const side = Math.ceil(Math.sqrt(AVATAR_MAX_PIXELS)) + 1_000;
    const bomb = await bombPng(side, side);
    expect(bomb.length).toBeLessThan(200);
    const started = Date.now();
    await expectParley(uploadAvatar(bo, bomb, "image/png"), "BAD_REQUEST", /too large .* megapixels/);
    expect(Date.now() - started).toBeLessThan(5_000); // refused from the header, never decoded
    expect(await storedKeys(bo.userId)).toEqual([]);

    // A PNG whose pixel data is cut off: its header reads, its pixels do not decode.
    const whole = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#123" } })
      .png()
      .toBuffer();
    await expectParley(uploadAvatar(bo, whole.subarray(0, 60), "image/png"), "BAD_REQUEST", /cannot be read/);
    expect(await storedKeys(bo.userId)).toEqual([]);

    // Declared types and sizes are checked before any upload URL is given.
    await expectParley(
      createAvatarUpload(t.db, store.storage, bo, { size: 100, mime: "image/svg+xml" }),
      "BAD_REQUEST",
      /PNG, JPEG, GIF or WebP/,
    );
    await expectParley(
      createAvatarUpload(t.db, store.storage, bo, { size: 50 * 1024 * 1024, mime: "image/png" }),
      "BAD_REQUEST",
      /at most 10 MiB/,
    );
    await expectParley(completeAvatarUpload(t.db, store.storage, bo, {}), "BAD_REQUEST", /not been uploaded/);
    expect((await getProfile(t.db, bo, {})).avatarId).toBeNull();
    expect(await logCounts(t.db)).toEqual(before);
  });
});

describe("profile fields", () => {
  it("validates every field and writes nothing on bad input", async () => {
    const cy = await newActor(t.db, { name: "Cy" });
    const before = await logCounts(t.db);
    const bad = [
      [{ name: "" }, /name is required/],
      [{ name: "x".repeat(81) }, /name is at most 80/],
      [{ title: "t".repeat(101) }, /title is at most 100/],
      [{ pronouns: "p".repeat(41) }, /pronouns are at most 40/],
      [{ timeZone: "Mars/Olympus_Mons" }, /IANA time zone/],
      [{ title: "a\u0000b" }, /./],
      [{ nickname: "x" }, /./],
    ] as const;
    for (const [input, message] of bad) {
      await expectParley(updateProfile(t.db, cy, input), "BAD_REQUEST", message);
    }
    expect(await getProfile(t.db, cy, {})).toMatchObject({
      name: cy.name,
      title: "",
      pronouns: "",
      timeZone: "UTC",
    });
    expect(await logCounts(t.db)).toEqual(before);

    const updated = await updateProfile(t.db, cy, {
      name: "  Cy Young ",
      title: "Pitcher",
      pronouns: "he/him",
      timeZone: "Europe/Berlin",
    });
    expect(updated).toMatchObject({
      name: "Cy Young",
      title: "Pitcher",
      pronouns: "he/him",
      timeZone: "Europe/Berlin",
    });
    // The time zone is the one the daily do-not-disturb window uses.
    const settings = await t.db.notificationSettings.findUnique({ where: { userId: cy.userId } });
    expect(settings?.timeZone).toBe("Europe/Berlin");
    expect((await updateProfile(t.db, cy, { timeZone: "UTC" })).timeZone).toBe("UTC");
  });

  it("lets members change only their own; admins change (and clear) members', audit-logged", async () => {
    const member = await newActor(t.db);
    const other = await newActor(t.db);
    const admin = await newActor(t.db, { role: "admin" });
    const owner = await newActor(t.db, { role: "owner" });
    const png = await sharp({ create: { width: 40, height: 40, channels: 4, background: "#0a0" } })
      .png()
      .toBuffer();

    await expectParley(updateProfile(t.db, member, { userId: other.userId, title: "Boss" }), "FORBIDDEN");
    await expectParley(
      createAvatarUpload(t.db, store.storage, member, {
        userId: other.userId,
        size: png.length,
        mime: "image/png",
      }),
      "FORBIDDEN",
    );
    await expectParley(removeAvatar(t.db, store.storage, member, { userId: other.userId }), "FORBIDDEN");
    // Admins act on people they outrank: not on the owner.
    await expectParley(updateProfile(t.db, admin, { userId: owner.userId, title: "x" }), "FORBIDDEN");

    await uploadAvatar(other, png, "image/png");
    await updateProfile(t.db, other, { title: "Spammer" });
    expect(await t.db.auditEntry.count({ where: { targetId: other.userId } })).toBe(0); // own edits: no entry

    const cleared = await updateProfile(t.db, admin, { userId: other.userId, title: "" });
    expect(cleared.title).toBe("");
    const removed = await removeAvatar(t.db, store.storage, admin, { userId: other.userId });
    expect(removed.avatarId).toBeNull();
    expect(await storedKeys(other.userId)).toEqual([]);
    const entries = await t.db.auditEntry.findMany({
      where: { targetId: other.userId },
      orderBy: { at: "asc" },
    });
    expect(entries.map((e) => [e.action, e.actorId, e.targetLabel, e.details])).toEqual([
      [
        "user.profile_updated",
        admin.userId,
        other.email,
        { before: { title: "Spammer" }, after: { title: "" } },
      ],
      ["user.avatar_changed", admin.userId, other.email, { removed: true }],
    ]);
  });

  it("announces a change to every conversation the person is in, which other members receive", async () => {
    const dee = await newActor(t.db, { name: "Dee" });
    const eli = await newActor(t.db, { name: "Eli" });
    const ch = await createChannel(t.db, eli, {
      name: channelName("profile"),
      isPrivate: true,
      memberIds: [dee.userId],
    });
    const published = await t.published(ch.id, () => updateProfile(t.db, dee, { pronouns: "she/her" }));
    expect(published.map((e) => [e.kind, e.actorId, e.payload])).toEqual([
      [
        "member.updated",
        dee.userId,
        { userId: dee.userId, name: "Dee", title: "", pronouns: "she/her", avatarId: null },
      ],
    ]);
    // What Eli's member list now says.
    const row = await t.db.user.findUnique({ where: { id: dee.userId }, select: { pronouns: true } });
    expect(row?.pronouns).toBe("she/her");
    // A time zone alone is not shown to others: no conversation event, a user event for Dee's devices.
    const quiet = await t.published(ch.id, () => updateProfile(t.db, dee, { timeZone: "Asia/Tokyo" }));
    expect(quiet).toEqual([]);
    // Changing nothing writes nothing.
    const before = await logCounts(t.db);
    await updateProfile(t.db, dee, { pronouns: "she/her" });
    expect(await logCounts(t.db)).toEqual(before);
  });

  it("shows a guest only the profiles of people they share a channel with", async () => {
    const guest = await newActor(t.db, { role: "guest" });
    const stranger = await newActor(t.db);
    // The same answers as for a person who does not exist.
    await expectParley(getProfile(t.db, guest, { userId: randomUUID() }), "NOT_FOUND", /^User not found$/);
    await expectParley(getProfile(t.db, guest, { userId: stranger.userId }), "NOT_FOUND", /^User not found$/);
    for (const userId of [stranger.userId, randomUUID()]) {
      await expectParley(
        avatarDownloadUrl(t.db, store.storage, guest, { userId, avatarId: randomUUID() }),
        "NOT_FOUND",
        /^Avatar not found$/,
      );
    }
    expect((await getProfile(t.db, guest, {})).userId).toBe(guest.userId);
    // Once they share a channel, the guest sees them.
    await createChannel(t.db, stranger, {
      name: channelName("guest"),
      isPrivate: true,
      memberIds: [guest.userId],
    });
    expect((await getProfile(t.db, guest, { userId: stranger.userId })).name).toBe(stranger.name);
  });
});
