import { randomUUID } from "node:crypto";
import { UserEventKind } from "@parley/protocol";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { createChannel } from "../src/conversations.ts";
import { getCustomEmojiPolicy, listCustomEmoji, setCustomEmojiPolicy } from "../src/emoji/custom.ts";
import {
  createCustomEmoji,
  customEmojiImageUrl,
  deleteCustomEmoji,
  EMOJI_PX,
  MAX_EMOJI_UPLOAD_BYTES,
} from "../src/emoji/upload.ts";
import type { TUserEventRecord } from "../src/events.ts";
import { addReaction } from "../src/messages/reactions.ts";
import { sendMessage } from "../src/messages/send.ts";
import { getHistory } from "../src/messages.ts";
import { channelName, expectParley, newActor, stored, testStorage, useTestDb } from "./helpers.ts";

const t = useTestDb();

const store = testStorage("emoji");

function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 200, g: 40, b: 90, alpha: 1 } } })
    .png()
    .toBuffer();
}

const emojiName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function objectCount(): Promise<number> {
  let n = 0;
  for await (const _ of store.storage.listObjects("emoji/")) n += 1;
  return n;
}

/** The user events published while `fn` runs. */
async function userEventsDuring(fn: () => Promise<unknown>): Promise<TUserEventRecord[]> {
  const seen: TUserEventRecord[] = [];
  const off = t.bus.subscribeAll((e) => {
    if ("userId" in e) seen.push(e);
  });
  try {
    await fn();
  } finally {
    off();
  }
  return seen;
}

describe("custom emoji", () => {
  it("name rules, image checks and permissions refuse with nothing written", async () => {
    const member = await newActor(t.db);
    const guest = await newActor(t.db, { role: "guest" });
    const image = (await png(16, 16)).toString("base64");
    const rows = await t.db.customEmoji.count();
    const objects = await objectCount();

    for (const name of ["", "has space", "dots.no", "a".repeat(65), "ümlaut", "::"]) {
      await expectParley(createCustomEmoji(t.db, store.storage, member, { name, image }), "BAD_REQUEST");
    }
    // Standard emoji names (Slack's shortcodes, and a name-derived one) cannot be shadowed.
    for (const name of ["tada", ":+1:", "thumbsup", "smile"]) {
      await expectParley(
        createCustomEmoji(t.db, store.storage, member, { name, image }),
        name === ":+1:" ? "BAD_REQUEST" : "CONFLICT",
      );
    }
    await expectParley(
      createCustomEmoji(t.db, store.storage, member, {
        name: emojiName("txt"),
        image: Buffer.from("not an image").toString("base64"),
      }),
      "BAD_REQUEST",
      /PNG, JPEG, GIF or WebP/,
    );
    await expectParley(
      createCustomEmoji(t.db, store.storage, member, {
        name: emojiName("big"),
        image: "A".repeat(MAX_EMOJI_UPLOAD_BYTES * 2),
      }),
      "BAD_REQUEST",
    );
    await expectParley(
      createCustomEmoji(t.db, store.storage, guest, { name: emojiName("g"), image }),
      "FORBIDDEN",
    );
    expect(await t.db.customEmoji.count()).toBe(rows);
    expect(await objectCount()).toBe(objects);
  });

  it("is stored resized, announced to every active user, used in a message and a reaction, and deleted by its creator", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const name = emojiName("parrot");
    const events = await userEventsDuring(async () => {
      const created = await createCustomEmoji(t.db, store.storage, alice, {
        name: `:${name.toUpperCase()}:`,
        image: `data:image/png;base64,${(await png(300, 200)).toString("base64")}`,
      });
      expect(created).toMatchObject({ name, createdById: alice.userId });
    });
    const row = await t.db.customEmoji.findUniqueOrThrow({ where: { name } });
    const meta = await sharp(
      Buffer.concat(await (await store.storage.getObject(row.objectKey)).toArray()),
    ).metadata();
    expect(meta).toMatchObject({ format: "webp", width: EMOJI_PX, height: 85 });
    // Every active user hears of it (their open clients add it; resuming ones replay it).
    const forBob = events.find((e) => e.userId === bob.userId);
    expect(forBob).toMatchObject({
      kind: UserEventKind.EmojiChanged,
      payload: { name, emoji: { id: row.id, name } },
    });
    expect(events.some((e) => e.userId === alice.userId)).toBe(true);
    expect((await listCustomEmoji(t.db)).map((e) => e.name)).toContain(name);
    const [audit] = await t.db.auditEntry.findMany({ where: { action: "emoji.created", targetId: row.id } });
    expect(audit).toMatchObject({ actorId: alice.userId, targetLabel: `:${name}:` });
    await expectParley(
      createCustomEmoji(t.db, store.storage, bob, { name, image: (await png(8, 8)).toString("base64") }),
      "CONFLICT",
    );

    // Used as :name: in a body and as a reaction.
    const ch = await createChannel(t.db, alice, { name: channelName("emoji"), memberIds: [bob.userId] });
    const body = `so :${name}: today`;
    const msg = stored(
      await sendMessage(t.db, bob, { conversationId: ch.id, clientMsgId: randomUUID(), body }),
    );
    await addReaction(t.db, alice, { messageId: msg.id, emoji: `:${name}:` });
    const read = async () =>
      (await getHistory(t.db, bob, { conversationId: ch.id })).messages.find((m) => m.id === msg.id);
    expect(await read()).toMatchObject({
      body,
      reactions: [{ emoji: `:${name}:`, count: 1, userIds: [alice.userId] }],
    });
    expect((await customEmojiImageUrl(t.db, store.storage, bob, { id: row.id })).url).toMatch(/^http.*emoji/);

    // Someone else may not delete it; its creator may. The text stays in messages and reactions.
    await expectParley(deleteCustomEmoji(t.db, store.storage, bob, { name }), "FORBIDDEN");
    const gone = await userEventsDuring(() =>
      deleteCustomEmoji(t.db, store.storage, alice, { name: `:${name}:` }),
    );
    expect(gone.find((e) => e.userId === bob.userId)).toMatchObject({ payload: { name, emoji: null } });
    expect(await t.db.customEmoji.findUnique({ where: { name } })).toBeNull();
    expect(await store.storage.statObject(row.objectKey)).toBeNull();
    expect(await read()).toMatchObject({ body, reactions: [{ emoji: `:${name}:`, count: 1 }] });
    expect(await t.db.auditEntry.count({ where: { action: "emoji.deleted", targetId: row.id } })).toBe(1);
    await expectParley(deleteCustomEmoji(t.db, store.storage, alice, { name }), "NOT_FOUND");
    await expectParley(customEmojiImageUrl(t.db, store.storage, bob, { id: row.id }), "NOT_FOUND");
  });

  it("admins may restrict adding to admins, and delete anyone's", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const member = await newActor(t.db);
    const image = (await png(20, 20)).toString("base64");
    const mine = emojiName("mine");
    await createCustomEmoji(t.db, store.storage, member, { name: mine, image });
    expect(await getCustomEmojiPolicy(t.db, member)).toEqual({ adminsOnly: false, mayAdd: true });

    await expectParley(setCustomEmojiPolicy(t.db, member, { adminsOnly: true }), "FORBIDDEN");
    expect(await setCustomEmojiPolicy(t.db, admin, { adminsOnly: true })).toEqual({
      adminsOnly: true,
      mayAdd: true,
    });
    const [entry] = await t.db.auditEntry.findMany({
      where: { action: "workspace.updated", actorId: admin.userId },
    });
    expect(entry?.details).toEqual({
      before: { customEmojiAdminsOnly: false },
      after: { customEmojiAdminsOnly: true },
    });
    expect(await getCustomEmojiPolicy(t.db, member)).toEqual({ adminsOnly: true, mayAdd: false });
    await expectParley(
      createCustomEmoji(t.db, store.storage, member, { name: emojiName("no"), image }),
      "FORBIDDEN",
      /Only workspace admins/,
    );
    await createCustomEmoji(t.db, store.storage, admin, { name: emojiName("adm"), image });

    await deleteCustomEmoji(t.db, store.storage, admin, { name: mine });
    expect(await t.db.customEmoji.findUnique({ where: { name: mine } })).toBeNull();
    await setCustomEmojiPolicy(t.db, admin, { adminsOnly: false });
  });
});
