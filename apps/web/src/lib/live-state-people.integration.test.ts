/**
 * The state test for every kind that is not a message kind (live-state-harness.ts has the
 * method): members joining, leaving and renaming, the channel renamed and archived, a DM, reads,
 * mutes, status and preferences, roles, custom emoji, an ephemeral answer, saved messages and
 * reminders — each step's events decoded as the client decodes them and the state compared with
 * a fresh fetch. Message kinds: live-state-messages.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  addMembers,
  archiveConversation,
  cancelReminder,
  changeRole,
  createReminder,
  encodeUserEvent,
  fireDueReminders,
  markRead,
  openDm,
  removeMember,
  renameChannel,
  saveMessage,
  sendEphemeral,
  sendMessage,
  setMuted,
  setStatus,
  setTopic,
  syncSince,
  unarchiveConversation,
  unsaveMessage,
  updatePreferences,
  updateProfile,
} from "@parley/core";
import { createCustomEmoji, deleteCustomEmoji } from "@parley/core/files";
import { createLocalStorage } from "@parley/storage";
import { describe, expect, it } from "vitest";
import {
  expectKindsSeen,
  liveStateTestDb,
  OTHER_KINDS,
  replayFeed,
  startStory,
} from "./live-state-harness.ts";
import { readUserFrame } from "./live-state-projection.ts";

const t = liveStateTestDb();

/** A 1×1 PNG, for a custom emoji's image. */
const ONE_PIXEL_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==";

describe("live state equals a fresh fetch: conversation, member and user kinds", () => {
  it("applies what core emits, as the client decodes it, to what tRPC then returns", async () => {
    const { alice, bob, carol, owner, users, conversationId, seen, step } = await startStory(t.db, t.bus);

    // Messages from both, so renames show on them and there is something to save and be reminded of.
    const send = async (from: typeof alice, body: string) =>
      (await sendMessage(t.db, from, { conversationId, clientMsgId: randomUUID(), body })).message.id;
    let rootId = "";
    let otherId = "";
    await step(async () => {
      rootId = await send(alice, "plans for the week");
      otherId = await send(bob, "lunch?");
    });

    // member.joined + conversation.added; member.left + conversation.removed
    await step(() => addMembers(t.db, alice, { conversationId, userIds: [carol.userId] }));
    await step(() => removeMember(t.db, alice, { conversationId, userId: carol.userId }));
    // conversation.updated
    await step(async () => {
      await renameChannel(t.db, alice, { conversationId, name: `renamed-${randomUUID().slice(0, 8)}` });
      await setTopic(t.db, bob, { conversationId, topic: "Plans" });
    });
    // dm.opened, read.updated, membership.updated, preferences.updated
    await step(() => openDm(t.db, alice, { userIds: [bob.userId] }));
    await step(async () => {
      const { lastSeq } = await bob.caller.conversations.get({ conversationId });
      await markRead(t.db, bob, { conversationId, seq: lastSeq });
      await setMuted(t.db, bob, { conversationId, muted: true });
      await setStatus(t.db, bob, { emoji: "🌴", text: "Away" });
      await updatePreferences(t.db, bob, { sidebarUnreadsFirst: true });
      await updatePreferences(t.db, bob, { locale: "ar" });
    });
    // member.updated: Bob renames himself (his messages follow) with a new avatar id, as
    // profile/avatar.ts sets it; the owner gives Alice a title (an admin's edit).
    await step(async () => {
      await t.db.user.update({ where: { id: bob.userId }, data: { avatarId: randomUUID() } });
      await updateProfile(t.db, bob, { name: `Robert ${randomUUID().slice(0, 6)}`, pronouns: "he/him" });
      await updateProfile(t.db, owner, { userId: alice.userId, title: "Head chef" });
    });
    await step(async () => {
      await archiveConversation(t.db, alice, { conversationId });
      await unarchiveConversation(t.db, alice, { conversationId });
    });
    // user.role_changed: carol becomes a guest, then an admin.
    await step(async () => {
      await changeRole(t.db, owner, { userId: carol.userId, role: "guest" });
      await changeRole(t.db, owner, { userId: carol.userId, role: "admin" });
    });

    // emoji.changed: a custom emoji added, another added and then deleted.
    const dir = await mkdtemp(path.join(tmpdir(), "parley-state-"));
    try {
      const storage = createLocalStorage({
        dir,
        publicBaseUrl: "http://127.0.0.1:1",
        secret: "state-test-secret-state-test-secret-0123",
      });
      await storage.ensureBucket();
      await step(async () => {
        await createCustomEmoji(t.db, storage, alice, {
          name: `zz-${randomUUID().slice(0, 6)}`,
          image: ONE_PIXEL_PNG,
        });
        const gone = `aa-${randomUUID().slice(0, 6)}`;
        await createCustomEmoji(t.db, storage, carol, { name: gone, image: ONE_PIXEL_PNG });
        await deleteCustomEmoji(t.db, storage, owner, { name: gone });
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // message.ephemeral: a slash command's answer that only bob sees (core/src/hooks/answers.ts).
    await step(() =>
      sendEphemeral(
        t.db,
        { command: "/deploy", botId: alice.userId, conversationId, userId: bob.userId, threadRootId: null },
        "Deployed (only you see this)",
      ),
    );

    // saved.updated: bob saves two messages (once twice: one event) and removes one.
    await step(async () => {
      await saveMessage(t.db, bob, { messageId: rootId });
      await saveMessage(t.db, bob, { messageId: rootId });
      await saveMessage(t.db, bob, { messageId: otherId });
      await unsaveMessage(t.db, bob, { messageId: otherId });
    });
    // reminder.updated (set, moved, cancelled) and reminder.fired (the job's round when due).
    const now = new Date();
    await step(async () => {
      await createReminder(t.db, bob, { messageId: rootId, when: { kind: "in", minutes: 20 } }, now);
      await createReminder(t.db, bob, { messageId: rootId, when: { kind: "in", minutes: 30 } }, now);
      const other = await createReminder(t.db, bob, { messageId: otherId, when: { kind: "tomorrow" } }, now);
      await cancelReminder(t.db, bob, { reminderId: other.id });
    });
    await step(() => fireDueReminders(t.db, { now: new Date(now.getTime() + 31 * 60_000) }));

    // Every kind that is not a message kind was delivered, decoded and checked.
    expectKindsSeen(seen, OTHER_KINDS);

    // Replay: the channel's log (member.updated renamed bob on his message) ends where the fetch
    // is; every user's log decodes.
    const fresh = (await bob.caller.messages.history({ conversationId })).messages;
    expect(await replayFeed(t.db, bob, conversationId)).toStrictEqual(fresh);
    for (const user of users.values()) {
      const { userEvents } = await syncSince(t.db, user, { cursors: {}, userCursor: 0 });
      for (const e of userEvents) readUserFrame(encodeUserEvent(e));
    }
  }, 120_000);
});
