/**
 * The state test for message kinds (live-state-harness.ts has the method): messages with files, a
 * mention and a thread, edits, reactions, pins, a link preview and deletes, each step's events
 * applied with the web's reducers and compared whole with a fresh fetch; then the log replayed as
 * the gateway replays it, with negative controls. Every other kind: live-state-people.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import {
  addReaction,
  createChannel,
  editMessage,
  pinMessage,
  previewUntilCaughtUp,
  removeLinkPreview,
  removeReaction,
  sendMessage,
  unpinMessage,
} from "@parley/core";
import { deleteMessage } from "@parley/core/files";
import { seedMessages } from "@parley/db/seed";
import { userMentionToken } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import {
  expectKindsSeen,
  liveStateTestDb,
  MESSAGE_KINDS,
  newUser,
  replayFeed,
  startStory,
} from "./live-state-harness.ts";

const t = liveStateTestDb();

describe("live state equals a fresh fetch: message kinds", () => {
  it("applies what core emits, as the client decodes it, to what tRPC then returns", async () => {
    const { alice, bob, conversationId, s, seen, liveFrames, step } = await startStory(t.db, t.bus);

    // Files the sender uploaded (stored as verified uploads; the bytes play no part here).
    const files = await Promise.all(
      [
        { name: "photo.png", mime: "image/png", width: 40, height: 30, thumbnailKey: `t/${randomUUID()}` },
        { name: "voice.webm", mime: "audio/webm", durationMs: 2300, waveform: [0, 120, 255] },
      ].map((f) =>
        t.db.attachment.create({
          data: {
            uploaderId: alice.userId,
            conversationId,
            objectKey: `o/${randomUUID()}`,
            size: 1234n,
            status: "ready",
            ...f,
          },
          select: { id: true },
        }),
      ),
    );

    // message.created: with files and a mention (sent alone), and a plain one (group commit).
    let rootId = "";
    await step(async () => {
      const sent = await sendMessage(t.db, alice, {
        conversationId,
        clientMsgId: randomUUID(),
        body: `look ${userMentionToken(bob.userId)}`,
        attachmentIds: files.map((f) => f.id),
      });
      rootId = sent.message.id;
    });
    let bobsId = "";
    await step(async () => {
      const sent = await sendMessage(t.db, bob, {
        conversationId,
        clientMsgId: randomUUID(),
        body: "<!channel> lunch?",
      });
      bobsId = sent.message.id;
    });
    // The thread panel opens on the root; replies: one in the thread only, one also in the channel.
    s.thread = { ...(await bob.caller.messages.thread({ rootId })) };
    let quietId = "";
    await step(async () => {
      const quiet = await sendMessage(t.db, bob, {
        conversationId,
        clientMsgId: randomUUID(),
        body: `${userMentionToken(alice.userId)} in the thread`,
        threadRootId: rootId,
      });
      quietId = quiet.message.id;
      await sendMessage(t.db, alice, {
        conversationId,
        clientMsgId: randomUUID(),
        body: "and in the channel",
        threadRootId: rootId,
        alsoInChannel: true,
      });
    });
    // message.edited: the body and its mentions change.
    await step(() =>
      editMessage(t.db, alice, { messageId: rootId, body: `now ${userMentionToken(alice.userId)}` }),
    );
    // reaction.added / reaction.removed
    await step(async () => {
      await addReaction(t.db, bob, { messageId: rootId, emoji: "👍" });
      await addReaction(t.db, alice, { messageId: rootId, emoji: "🎉" });
      await addReaction(t.db, alice, { messageId: rootId, emoji: "👍" });
      await addReaction(t.db, alice, { messageId: bobsId, emoji: "👀" });
      await removeReaction(t.db, bob, { messageId: rootId, emoji: "👍" });
    });
    // message.pinned / message.unpinned
    await step(async () => {
      await pinMessage(t.db, bob, { messageId: rootId });
      await pinMessage(t.db, alice, { messageId: bobsId });
      await unpinMessage(t.db, alice, { messageId: rootId });
    });
    // message.preview: the previewer fetches a page from a local server; then its sender removes it.
    const site = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(
        '<head><meta property="og:title" content="State page"><meta name="description" content="d"></head>',
      );
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    const siteHost = `127.0.0.1:${(site.address() as AddressInfo).port}`;
    try {
      let linkId = "";
      await step(async () => {
        const sent = await sendMessage(t.db, bob, {
          conversationId,
          clientMsgId: randomUUID(),
          body: `see http://${siteHost}/state`,
        });
        linkId = sent.message.id;
        await previewUntilCaughtUp(t.db, { allowHosts: [siteHost] });
      });
      expect(s.feed.messages.find((m) => m.id === linkId)?.linkPreview?.title).toBe("State page");
      await step(() => removeLinkPreview(t.db, bob, { messageId: linkId }));
    } finally {
      site.close();
    }
    // message.deleted: a thread reply (the root's counters move) and a pinned, reacted message.
    await step(async () => {
      await deleteMessage(t.db, bob, { messageId: quietId });
      await deleteMessage(t.db, bob, { messageId: bobsId });
    });

    // Every message kind was delivered, decoded and checked.
    expectKindsSeen(seen, MESSAGE_KINDS);

    // Replay: the whole log as the gateway replays it, applied to an empty history, ends where the
    // fetch is.
    const fresh = (await bob.caller.messages.history({ conversationId })).messages;
    expect(await replayFeed(t.db, bob, conversationId)).toStrictEqual(fresh);

    // Negative controls: a field dropped on the emitting side, or one only the fetch has, is caught.
    const dropped = await replayFeed(t.db, bob, conversationId, (payload, kind) => {
      if (kind === "message.created") delete (payload.message as Record<string, unknown>).senderName;
      return true;
    });
    expect(isDeepStrictEqual(dropped, fresh)).toBe(false);
    const editWithoutMentions = await replayFeed(t.db, bob, conversationId, (payload, kind) => {
      if (kind === "message.edited") delete payload.mentionedUserIds;
      return true;
    });
    expect(isDeepStrictEqual(editWithoutMentions, fresh)).toBe(false);
    expect(isDeepStrictEqual(s.feed.messages, fresh)).toBe(true);
    expect(
      isDeepStrictEqual(
        s.feed.messages,
        fresh.map((m) => ({ ...m, isNew: true })),
      ),
    ).toBe(false);
    expect(liveFrames.length).toBeGreaterThan(0);
    // The whole story once passed 30 s (the tier default) with the box at load 16.
  }, 120_000);

  it("replays seeded messages (packages/db seedMessages) to what history returns", async () => {
    const alice = await newUser(t.db, "Seeder");
    const ch = await createChannel(t.db, alice, {
      name: `seeded-${randomUUID().slice(0, 8)}`,
      isPrivate: false,
      memberIds: [],
    });
    await seedMessages(t.db, { conversationId: ch.id, senderId: alice.userId, count: 3 });
    const replayed = await replayFeed(t.db, alice, ch.id);
    const history = await alice.caller.messages.history({ conversationId: ch.id });
    expect(replayed).toHaveLength(3);
    expect(replayed).toStrictEqual(history.messages);
  });
});
