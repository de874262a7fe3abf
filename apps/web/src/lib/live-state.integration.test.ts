/**
 * The state test (STYLE.md "Tests", Zulip's idea): stale state + events == a fresh fetch, for every
 * event kind. Core's actions run on real Postgres; what they emit is delivered the way the gateway
 * delivers it — live through the fan-out's encoders, replayed through sync's frames (built by
 * Postgres from the stored payload) — read with the client's frame parser and the protocol's payload
 * schemas, and applied with the web's pure reducers (live-reducers.ts). After every step the state
 * held must equal what tRPC returns: channel history, the open thread, members, the conversation,
 * each user's view of their conversations and their status.
 *
 * Message kinds go through the web's reducers and are compared whole (toStrictEqual), so a field
 * on one side only fails. The other kinds are applied by a small projection here (the web refetches
 * on them) that destructures every payload field: a field added to a payload fails the test until
 * it is handled. Every kind must be seen (`seen` vs EVENT_KINDS / USER_EVENT_KINDS), and the
 * handler maps are typed by kind, so a new kind without a case does not compile.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { createCaller, createContext } from "@parley/api";
import { parseEnv } from "@parley/config";
import {
  addMembers,
  addReaction,
  archiveConversation,
  cancelReminder,
  changeRole,
  createChannel,
  createReminder,
  editMessage,
  encodeConversationEvent,
  encodeUserEvent,
  fireDueReminders,
  MemoryEventBus,
  markRead,
  openDm,
  pinMessage,
  previewUntilCaughtUp,
  removeLinkPreview,
  removeMember,
  removeReaction,
  renameChannel,
  saveMessage,
  sendEphemeral,
  sendMessage,
  setEventSink,
  setMuted,
  setStatus,
  setTopic,
  syncSince,
  type TActor,
  type TConversationEventRecord,
  type TUserEventRecord,
  unarchiveConversation,
  unpinMessage,
  unsaveMessage,
  updatePreferences,
  updateProfile,
} from "@parley/core";
import { createCustomEmoji, deleteCustomEmoji, deleteMessage } from "@parley/core/files";
import { seedMessages, seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import {
  decodeConversationEvent,
  decodeUserEvent,
  EVENT_KINDS,
  parseServerFrame,
  type TCustomEmoji,
  type TEventKind,
  type TKnownConversationEvent,
  type TKnownUserEvent,
  type TUserEventKind,
  USER_EVENT_KINDS,
  userMentionToken,
} from "@parley/protocol";
import { createLocalStorage } from "@parley/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyEmojiChange } from "./custom-emoji.ts";
import { EMPTY_FEED, type TFeed } from "./feed-window.ts";
import { applyToFeed, applyToThread, type TLiveEvent, type TThread } from "./live-reducers.ts";

const env = parseEnv({
  DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
  AUTH_SECRET: "test-secret-test-secret-test-secret!",
  PUBLIC_URL: "https://chat.example.test",
});

let t: TTestDb;
const bus = new MemoryEventBus();
beforeAll(async () => {
  t = await createTestDb({ poolSize: 6 });
  await seedWorkspace(t.db, { name: "State" });
  setEventSink(bus);
});
afterAll(async () => {
  await t?.drop();
});

/** A 1×1 PNG, for a custom emoji's image. */
const ONE_PIXEL_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==";

type TUser = TActor & { name: string; caller: ReturnType<typeof createCaller> };

async function newUser(name: string, role: TActor["role"] = "member"): Promise<TUser> {
  const user = await seedUser(t.db, { name: `${name} ${randomUUID().slice(0, 6)}`, role });
  const session = await t.db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  const caller = createCaller(await createContext({ db: t.db, sessionId: session.id, env }));
  return { userId: user.id, role: user.role, name: user.name, caller };
}

/** What the gateway hands a socket, as the client reads it: the wire text, parsed, payload decoded. */
function readConversationFrame(text: string): TKnownConversationEvent {
  const frame = parseServerFrame(text);
  if (frame?.type !== "event") throw new Error(`not an event frame: ${text}`);
  const event = decodeConversationEvent(frame);
  if (!event) throw new Error(`the client cannot decode what core emitted: ${text}`);
  return event;
}

function readUserFrame(text: string): TKnownUserEvent {
  const frame = parseServerFrame(text);
  if (frame?.type !== "user.event") throw new Error(`not a user.event frame: ${text}`);
  const event = decodeUserEvent(frame);
  if (!event) throw new Error(`the client cannot decode what core emitted: ${text}`);
  return event;
}

/** One user's view of one conversation, as far as user events tell it. */
type TMyConversation = { kind?: string; isMember?: boolean; readSeq?: number; muted?: boolean };

/** Everything the events keep current, held as a client would. */
type TState = {
  feed: TFeed;
  thread: TThread | null;
  channel: { name: string; topic: string; isArchived: boolean };
  /** Channel members: id → name. */
  members: Map<string, string>;
  /** Profile fields member.updated told (id → title, pronouns, avatarId), checked against the member list. */
  profiles: Map<string, { title: string; pronouns: string; avatarId: string | null }>;
  /** Per user: conversation id → what its user events said. */
  mine: Map<string, Map<string, TMyConversation>>;
  /** Per user: custom status. */
  status: Map<string, { statusEmoji: string; statusText: string }>;
  /** Per user: display preferences preferences.updated told. */
  prefs: Map<string, { sidebarUnreadsFirst: boolean; locale: string | null }>;
  /** DM id → its members (sorted ids). */
  dms: Map<string, string[]>;
  /** Per user: workspace role, as user.role_changed told it. */
  roles: Map<string, string>;
  /** The custom emoji list, as bob's emoji.changed events keep it (the web's reducer). */
  emoji: TCustomEmoji[];
  /** Per user: conversation id → the ids saved.updated says they saved there. */
  saved: Map<string, Map<string, Set<string>>>;
  /** Per user: reminder id → due time (pending) or "fired", as reminder.updated / reminder.fired told. */
  reminders: Map<string, Map<string, Date | "fired">>;
  bobId: string;
};

type TConversationHandlers = {
  [K in TEventKind]: (s: TState, e: Extract<TKnownConversationEvent, { kind: K }>) => void;
};
type TUserHandlers = {
  [K in TUserEventKind]: (s: TState, userId: string, e: Extract<TKnownUserEvent, { kind: K }>) => void;
};

/** Message kinds: the web's reducers (history, and the open thread). */
function viaReducers(s: TState, e: TLiveEvent): void {
  s.feed = applyToFeed(s.feed, e);
  if (s.thread) s.thread = applyToThread(s.thread, e);
}

function mineOf(s: TState, userId: string, conversationId: string): TMyConversation {
  const byUser = s.mine.get(userId) ?? new Map<string, TMyConversation>();
  s.mine.set(userId, byUser);
  const view = byUser.get(conversationId) ?? {};
  byUser.set(conversationId, view);
  return view;
}

/** Asserts a payload has no field beyond those a handler destructured (zod drops unknown ones). */
function noOtherFields(rest: object): void {
  expect(rest).toStrictEqual({});
}

const conversationHandlers: TConversationHandlers = {
  "message.created": viaReducers,
  "message.edited": viaReducers,
  "message.deleted": viaReducers,
  "reaction.added": viaReducers,
  "reaction.removed": viaReducers,
  "message.pinned": viaReducers,
  "message.unpinned": viaReducers,
  "message.preview": viaReducers,
  "member.joined": (s, e) => {
    const { userId, userName, addedBy, ...rest } = e.payload;
    noOtherFields(rest);
    expect(addedBy).toBe(userId === e.actorId ? undefined : e.actorId);
    s.members.set(userId, userName);
  },
  "member.left": (s, e) => {
    const { userId, removedBy, ...rest } = e.payload;
    noOtherFields(rest);
    expect(removedBy).toBe(userId === e.actorId ? undefined : e.actorId);
    s.members.delete(userId);
  },
  "member.updated": (s, e) => {
    const { userId, name, title, pronouns, avatarId, ...rest } = e.payload;
    noOtherFields(rest);
    viaReducers(s, e); // the sender's name on their messages
    if (s.members.has(userId)) s.members.set(userId, name);
    s.profiles.set(userId, { title, pronouns, avatarId });
  },
  "conversation.updated": (s, e) => {
    const { name, topic, archived, ...rest } = e.payload;
    noOtherFields(rest);
    s.channel = {
      name: name ?? s.channel.name,
      topic: topic ?? s.channel.topic,
      isArchived: archived ?? s.channel.isArchived,
    };
  },
};

const userHandlers: TUserHandlers = {
  "conversation.added": (s, userId, e) => {
    const { conversationId, kind, addedBy, joinedSeq, ...rest } = e.payload;
    noOtherFields(rest);
    expect(typeof addedBy).toBe("string");
    expect(joinedSeq).toBeUndefined();
    Object.assign(mineOf(s, userId, conversationId), { kind, isMember: true });
  },
  "conversation.removed": (s, userId, e) => {
    const { conversationId, removedBy, ...rest } = e.payload;
    noOtherFields(rest);
    expect(removedBy === undefined || typeof removedBy === "string").toBe(true);
    mineOf(s, userId, conversationId).isMember = false;
  },
  "dm.opened": (s, userId, e) => {
    const { conversationId, kind, userIds, joinedSeq, ...rest } = e.payload;
    noOtherFields(rest);
    expect(joinedSeq).toBeUndefined();
    Object.assign(mineOf(s, userId, conversationId), { kind, isMember: true });
    s.dms.set(conversationId, userIds);
  },
  "read.updated": (s, userId, e) => {
    const { conversationId, readSeq, ...rest } = e.payload;
    noOtherFields(rest);
    mineOf(s, userId, conversationId).readSeq = readSeq;
  },
  "membership.updated": (s, userId, e) => {
    const { conversationId, muted, ...rest } = e.payload;
    noOtherFields(rest);
    mineOf(s, userId, conversationId).muted = muted;
  },
  "preferences.updated": (s, userId, e) => {
    const { statusEmoji, statusText, sidebarUnreadsFirst, locale, ...rest } = e.payload;
    noOtherFields(rest);
    if (sidebarUnreadsFirst !== undefined || locale !== undefined) {
      // Only what changed is in the event: the rest is what the user had (the defaults at first).
      const had = s.prefs.get(userId) ?? { sidebarUnreadsFirst: false, locale: null };
      s.prefs.set(userId, {
        sidebarUnreadsFirst: sidebarUnreadsFirst ?? had.sidebarUnreadsFirst,
        locale: locale === undefined ? had.locale : locale,
      });
      expect(statusEmoji ?? statusText).toBeUndefined();
      return;
    }
    const now = s.status.get(userId) ?? { statusEmoji: "", statusText: "" };
    s.status.set(userId, {
      statusEmoji: statusEmoji ?? now.statusEmoji,
      statusText: statusText ?? now.statusText,
    });
  },
  "emoji.changed": (s, userId, e) => {
    const { name, emoji, ...rest } = e.payload;
    noOtherFields(rest);
    // Every user gets it; one client's list is bob's.
    if (userId === s.bobId) s.emoji = applyEmojiChange(s.emoji, { name, emoji }) ?? [];
  },
  "message.ephemeral": (_s, _userId, e) => {
    // Only its user sees it and no fetch returns it: nothing in the shared state changes.
    const { conversationId, id, senderId, senderName, body, threadRootId, command, ...rest } = e.payload;
    noOtherFields(rest);
    expect(
      [conversationId, id, senderId, senderName, body, command].every((v) => typeof v === "string"),
    ).toBe(true);
    expect(threadRootId === null || typeof threadRootId === "string").toBe(true);
  },
  "saved.updated": (s, userId, e) => {
    const { messageId, conversationId, isSaved, ...rest } = e.payload;
    noOtherFields(rest);
    const byConversation = s.saved.get(userId) ?? new Map<string, Set<string>>();
    s.saved.set(userId, byConversation);
    const ids = byConversation.get(conversationId) ?? new Set<string>();
    byConversation.set(conversationId, ids);
    if (isSaved) ids.add(messageId);
    else ids.delete(messageId);
  },
  "reminder.updated": (s, userId, e) => {
    const { reminderId, messageId, dueAt, ...rest } = e.payload;
    noOtherFields(rest);
    expect(typeof messageId).toBe("string");
    const mine = s.reminders.get(userId) ?? new Map<string, Date | "fired">();
    s.reminders.set(userId, mine);
    if (dueAt) mine.set(reminderId, dueAt);
    else mine.delete(reminderId);
  },
  "reminder.fired": (s, userId, e) => {
    const { reminderId, messageId, dueAt, message, ...rest } = e.payload;
    noOtherFields(rest);
    expect(typeof messageId).toBe("string");
    expect(s.reminders.get(userId)?.get(reminderId)).toEqual(dueAt);
    if (message) {
      const { conversationId, seq, threadRootId, senderName, excerpt, ...more } = message;
      noOtherFields(more);
      expect([conversationId, senderName, excerpt].every((v) => typeof v === "string")).toBe(true);
      expect(typeof seq).toBe("number");
      expect(threadRootId === null || typeof threadRootId === "string").toBe(true);
    }
    s.reminders.get(userId)?.set(reminderId, "fired");
  },
  "user.role_changed": (s, userId, e) => {
    const { role, previousRole, ...rest } = e.payload;
    noOtherFields(rest);
    expect(previousRole).not.toBe(role);
    s.roles.set(userId, role);
  },
};

function applyConversationEvent(s: TState, e: TKnownConversationEvent): void {
  (conversationHandlers[e.kind] as (s: TState, e: TKnownConversationEvent) => void)(s, e);
}

function applyUserEvent(s: TState, userId: string, e: TKnownUserEvent): void {
  (userHandlers[e.kind] as (s: TState, userId: string, e: TKnownUserEvent) => void)(s, userId, e);
}

describe("live state equals a fresh fetch, for every event kind", () => {
  it("applies what core emits, as the client decodes it, to what tRPC then returns", async () => {
    const alice = await newUser("Alice");
    const bob = await newUser("Bob");
    const carol = await newUser("Carol");
    const owner = await newUser("Olive", "owner");
    const users = new Map([alice, bob, carol, owner].map((u) => [u.userId, u]));
    const ch = await createChannel(t.db, alice, {
      name: `state-${randomUUID().slice(0, 8)}`,
      isPrivate: false,
      memberIds: [bob.userId],
    });
    const conversationId = ch.id;

    // The stale state: what a client fetched before the events below.
    const s: TState = {
      feed: { ...EMPTY_FEED, ...(await bob.caller.messages.history({ conversationId })), isComplete: true },
      thread: null,
      channel: { name: ch.name, topic: ch.topic, isArchived: false },
      members: new Map(
        (await bob.caller.conversations.members({ conversationId })).map((m) => [m.userId, m.name]),
      ),
      profiles: new Map(),
      mine: new Map(),
      status: new Map(),
      prefs: new Map(),
      dms: new Map(),
      roles: new Map(),
      emoji: await bob.caller.emoji.list(),
      saved: new Map(),
      reminders: new Map(),
      bobId: bob.userId,
    };
    const seen = new Set<string>();
    const liveFrames: string[] = [];

    /** Runs a step, delivers what it published (encoded as the fan-out encodes), checks the state. */
    const step = async (fn: () => Promise<unknown>) => {
      const published: (TConversationEventRecord | (TUserEventRecord & { isUser: true }))[] = [];
      const off = bus.subscribeAll((e) => {
        published.push("userId" in e ? { ...e, isUser: true as const } : e);
      });
      try {
        await fn();
      } finally {
        off();
      }
      for (const p of published) {
        if ("isUser" in p) {
          const e = readUserFrame(encodeUserEvent(p));
          seen.add(e.kind);
          applyUserEvent(s, p.userId, e);
        } else if (p.conversationId === conversationId || s.dms.has(p.conversationId)) {
          const text = encodeConversationEvent(p);
          liveFrames.push(text);
          const e = readConversationFrame(text);
          seen.add(e.kind);
          if (p.conversationId === conversationId) applyConversationEvent(s, e);
        }
      }
      await expectFreshFetch(s);
    };

    const expectFreshFetch = async (state: TState) => {
      const history = await bob.caller.messages.history({ conversationId });
      expect(state.feed.messages).toStrictEqual(history.messages);
      if (state.thread) {
        const fresh = await bob.caller.messages.thread({ rootId: state.thread.root.id });
        expect({ root: state.thread.root, replies: state.thread.replies }).toStrictEqual({
          root: fresh.root,
          replies: fresh.replies,
        });
      }
      const conversation = await alice.caller.conversations.get({ conversationId });
      expect(state.channel).toStrictEqual({
        name: conversation.name,
        topic: conversation.topic,
        isArchived: conversation.archivedAt !== null,
      });
      const members = await alice.caller.conversations.members({ conversationId });
      expect(state.members).toStrictEqual(new Map(members.map((m) => [m.userId, m.name])));
      for (const [userId, profile] of state.profiles) {
        const m = members.find((x) => x.userId === userId);
        expect(profile).toStrictEqual({ title: m?.title, pronouns: m?.pronouns, avatarId: m?.avatarId });
      }
      for (const [userId, byConversation] of state.mine) {
        const caller = users.get(userId)?.caller;
        if (!caller) throw new Error("unknown user");
        for (const [id, view] of byConversation) {
          const fresh = await caller.conversations.get({ conversationId: id });
          const picked = Object.fromEntries(
            Object.keys(view).map((k) => [k, fresh[k as keyof typeof fresh]]),
          );
          expect(view).toStrictEqual(picked);
        }
      }
      for (const [userId, status] of state.status) {
        const me = await users.get(userId)?.caller.users.me();
        expect(status).toStrictEqual({ statusEmoji: me?.statusEmoji, statusText: me?.statusText });
      }
      for (const [userId, prefs] of state.prefs) {
        expect(prefs).toStrictEqual(await users.get(userId)?.caller.users.preferences());
      }
      expect(state.emoji).toStrictEqual(await bob.caller.emoji.list());
      for (const [userId, role] of state.roles) {
        expect(role).toBe((await users.get(userId)?.caller.users.me())?.role);
      }
      for (const [userId, byConversation] of state.saved) {
        for (const [id, ids] of byConversation) {
          const fresh = await users.get(userId)?.caller.saved.ids({ conversationId: id });
          expect([...ids].sort()).toStrictEqual(fresh?.sort());
        }
      }
      for (const [userId, mine] of state.reminders) {
        const fresh = await users.get(userId)?.caller.reminders.list();
        expect(mine).toStrictEqual(
          new Map<string, Date | "fired">([
            ...(fresh?.pending ?? []).map((r) => [r.id, r.dueAt] as const),
            ...(fresh?.fired ?? []).map((r) => [r.id, "fired" as const] as const),
          ]),
        );
      }
      for (const [id, userIds] of state.dms) {
        const dmMembers = await alice.caller.conversations.members({ conversationId: id });
        expect(userIds).toStrictEqual(dmMembers.map((m) => m.userId).sort());
      }
    };

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
    let linkId = "";
    try {
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
    await rm(dir, { recursive: true, force: true });

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
      await saveMessage(t.db, bob, { messageId: linkId });
      await unsaveMessage(t.db, bob, { messageId: linkId });
    });
    // reminder.updated (set, moved, cancelled) and reminder.fired (the job's round when due).
    const now = new Date();
    await step(async () => {
      await createReminder(t.db, bob, { messageId: rootId, when: { kind: "in", minutes: 20 } }, now);
      await createReminder(t.db, bob, { messageId: rootId, when: { kind: "in", minutes: 30 } }, now);
      const other = await createReminder(t.db, bob, { messageId: linkId, when: { kind: "tomorrow" } }, now);
      await cancelReminder(t.db, bob, { reminderId: other.id });
    });
    await step(() => fireDueReminders(t.db, { now: new Date(now.getTime() + 31 * 60_000) }));

    // Every kind was delivered, decoded and checked.
    expect([...seen].sort()).toEqual([...EVENT_KINDS, ...USER_EVENT_KINDS].sort());

    // Replay: the whole log as the gateway replays it (frames built from the stored payloads),
    // applied to an empty history, ends where the fetch is; the user logs decode too.
    /** `edit` changes a frame's payload before it is applied, or drops the frame by returning false. */
    const replay = async (edit?: (payload: Record<string, unknown>, kind: string) => boolean | undefined) => {
      const result = await syncSince(t.db, bob, { cursors: { [conversationId]: 0 } }, { encode: true });
      let feed: TFeed = { ...EMPTY_FEED, hasMoreBefore: false, isComplete: true };
      for (const text of result.conversations[0]?.frames ?? []) {
        const frame = JSON.parse(text);
        if (edit?.(frame.payload, frame.kind) === false) continue;
        feed = applyToFeed(feed, readConversationFrame(JSON.stringify(frame)));
      }
      return feed.messages;
    };
    const fresh = (await bob.caller.messages.history({ conversationId })).messages;
    expect(await replay()).toStrictEqual(fresh);
    for (const user of users.values()) {
      const { userEvents } = await syncSince(t.db, user, { cursors: {}, userCursor: 0 });
      for (const e of userEvents) readUserFrame(encodeUserEvent(e));
    }

    // Negative controls: a field dropped on the emitting side, or one only the fetch has, is caught.
    const dropped = await replay((payload, kind) => {
      if (kind === "message.created") delete (payload.message as Record<string, unknown>).senderName;
      // member.updated would put the senders' names back.
      if (kind === "member.updated") return false;
    });
    expect(isDeepStrictEqual(dropped, fresh)).toBe(false);
    const editWithoutMentions = await replay((payload, kind) => {
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
    // One story through every event kind: it passed 30 s (the tier default) with the box at load 16.
  }, 120_000);

  it("replays seeded messages (packages/db seedMessages) to what history returns", async () => {
    const alice = await newUser("Seeder");
    const ch = await createChannel(t.db, alice, {
      name: `seeded-${randomUUID().slice(0, 8)}`,
      isPrivate: false,
      memberIds: [],
    });
    await seedMessages(t.db, { conversationId: ch.id, senderId: alice.userId, count: 3 });
    const result = await syncSince(t.db, alice, { cursors: { [ch.id]: 0 } }, { encode: true });
    let feed: TFeed = { ...EMPTY_FEED, hasMoreBefore: false, isComplete: true };
    for (const text of result.conversations[0]?.frames ?? [])
      feed = applyToFeed(feed, readConversationFrame(text));
    const history = await alice.caller.messages.history({ conversationId: ch.id });
    expect(feed.messages).toHaveLength(3);
    expect(feed.messages).toStrictEqual(history.messages);
  });
});
