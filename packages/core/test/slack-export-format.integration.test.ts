/**
 * The workspace export in Slack's format (core/src/export/slack-format.ts), proven by a round
 * trip: a channel with a thread, a broadcast reply, an edit, reactions, a pin, a deleted message,
 * a deleted thread root, markup-like text and a mention is exported as a Slack zip, the zip is
 * read by Parley's own Slack importer, and the imported channel (#<name>-slack: the name is taken)
 * holds the same history. Also: only the workspace scope has the format, and no secret is in it.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { addMembers } from "../src/conversations/members.ts";
import { createChannel } from "../src/conversations.ts";
import { getExport, requestExport } from "../src/export/requests.ts";
import { runPendingExports } from "../src/export/run.ts";
import { deleteMessage } from "../src/messages/delete.ts";
import { editMessage } from "../src/messages/edit.ts";
import { pinMessage } from "../src/messages/pins.ts";
import { addReaction } from "../src/messages/reactions.ts";
import { sendMessage } from "../src/messages/send.ts";
import { importSlackZip } from "../src/slack-import/import.ts";
import { openStoredZip } from "../src/slack-import/zip.ts";
import { expectParley, newActor, stored, testStorage, useTestDb } from "./helpers.ts";

const t = useTestDb();
const store = testStorage("slackfmt");

describe("workspace export in Slack's format", () => {
  it("is for workspace exports only", async () => {
    const someone = await newActor(t.db);
    await expectParley(
      requestExport(t.db, someone, { scope: "user", format: "slack" }),
      "BAD_REQUEST",
      /workspace/,
    );
  });

  it("round-trips through Parley's own Slack importer", async () => {
    const owner = await newActor(t.db, { role: "owner", name: "Owner Ö" });
    const bob = await newActor(t.db, { name: "Bob" });
    const name = `roundtrip-${randomUUID().slice(0, 8)}`;
    const channel = (await createChannel(t.db, owner, { name, topic: "Round trip" })).id;
    await addMembers(t.db, owner, { conversationId: channel, userIds: [bob.userId] });
    const send = async (actor: typeof owner, body: string, extra: object = {}) =>
      stored(
        await sendMessage(t.db, actor, {
          conversationId: channel,
          clientMsgId: randomUUID(),
          body,
          ...extra,
        }),
      );
    const root = await send(owner, `Hi <@${bob.userId}> — a <b> & c ✨`);
    const reply = await send(bob, "in the thread", { threadRootId: root.id });
    await send(bob, "broadcast too", { threadRootId: root.id, alsoInChannel: true });
    const edited = await send(bob, "tpyo");
    await editMessage(t.db, bob, { messageId: edited.id, body: "typo fixed" });
    const gone = await send(bob, "deleted, not exported");
    await deleteMessage(t.db, bob, { messageId: gone.id });
    const deadRoot = await send(owner, "a root deleted later");
    await send(bob, "a reply that outlives its root", { threadRootId: deadRoot.id });
    await deleteMessage(t.db, owner, { messageId: deadRoot.id });
    await addReaction(t.db, bob, { messageId: root.id, emoji: ":tada:" });
    await addReaction(t.db, owner, { messageId: reply.id, emoji: "👍" });
    await pinMessage(t.db, bob, { messageId: root.id });

    const requested = await requestExport(t.db, owner, { scope: "workspace", format: "slack" });
    expect(requested.format).toBe("slack");
    const [result] = await runPendingExports(t.db, store.storage);
    expect(result?.status).toBe("ready");
    const ready = await getExport(t.db, owner, { id: requested.id });
    expect(ready.fileName).toMatch(/^parley-slack-export-.*\.zip$/);

    const zip = await openStoredZip(store.storage, result?.objectKey as string);
    try {
      const users = (await zip.readJson("users.json")) as object[];
      expect(JSON.stringify(users)).not.toMatch(/passwordHash|\$argon2/);
      expect(users).toContainEqual(expect.objectContaining({ id: owner.userId, real_name: "Owner Ö" }));
      const channels = (await zip.readJson("channels.json")) as {
        name: string;
        members: string[];
        pins?: object[];
      }[];
      const listed = channels.find((c) => c.name === name);
      expect(listed?.members.sort()).toEqual([owner.userId, bob.userId].sort());
      expect(listed?.pins).toHaveLength(1);

      const summary = await importSlackZip(t.db, zip, owner, { batchSize: 2 });
      expect(summary.users).toEqual({ matched: expect.any(Number), created: 1 }); // USLACKBOT of the tombstone
    } finally {
      await zip.close();
    }
    const imported = await t.db.conversation.findUniqueOrThrow({ where: { name: `${name}-slack` } });
    expect(imported.topic).toBe("Round trip");
    const original = await t.db.message.findMany({
      where: { conversationId: channel, OR: [{ deletedAt: null }, { replyCount: { gt: 0 } }] },
      orderBy: { seq: "asc" },
      include: { reactions: true },
    });
    const copy = await t.db.message.findMany({
      where: { conversationId: imported.id },
      orderBy: { seq: "asc" },
      include: { reactions: true },
    });
    const shape = (ms: typeof original) => {
      const index = new Map(ms.map((m, i) => [m.id, i]));
      return ms.map((m) => ({
        // A tombstone's sender is Slack's (USLACKBOT): the export does not say who deleted it.
        senderId: m.deletedAt ? null : m.senderId,
        body: m.body,
        createdAt: m.createdAt,
        root: m.threadRootId ? index.get(m.threadRootId) : null,
        alsoInChannel: m.alsoInChannel,
        replyCount: m.replyCount,
        isEdited: m.editedAt !== null,
        isDeleted: m.deletedAt !== null,
        isPinned: m.pinnedAt !== null,
        reactions: m.reactions.map((r) => [r.userId, r.emoji]).sort(),
      }));
    };
    expect(shape(copy)).toEqual(shape(original));
    expect(copy[0]?.body).toBe(`Hi <@${bob.userId}> — a <b> & c ✨`);
  });
});
