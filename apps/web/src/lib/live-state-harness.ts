/**
 * The state test's harness (STYLE.md "Tests", Zulip's idea): stale state + events == a fresh fetch,
 * for every event kind. The stories are live-state-messages.integration.test.ts (message kinds)
 * and live-state-people.integration.test.ts (every other kind). Core's actions run on real
 * Postgres; what they emit is delivered the way the gateway delivers it — live through the
 * fan-out's encoders, replayed through sync's frames (built by Postgres from the stored payload) —
 * read with the client's frame parser and the protocol's payload schemas, and applied with the
 * web's pure reducers (live-reducers.ts). After every step the state held must equal what tRPC
 * returns: channel history, the open thread, members, the conversation, each user's view of their
 * conversations and their status.
 *
 * How each kind is applied is live-state-projection.ts. Every kind must be seen by one of the
 * stories (`expectKindsSeen`: MESSAGE_KINDS by one, every other kind of EVENT_KINDS /
 * USER_EVENT_KINDS by the other).
 */
import { randomUUID } from "node:crypto";
import { createCaller, createContext } from "@parley/api";
import { parseEnv } from "@parley/config";
import {
  createChannel,
  encodeConversationEvent,
  encodeUserEvent,
  MemoryEventBus,
  setEventSink,
  syncSince,
  type TActor,
  type TConversationEventRecord,
  type TUserEventRecord,
} from "@parley/core";
import type { TDb } from "@parley/db";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { EVENT_KINDS, type TEventKind, USER_EVENT_KINDS } from "@parley/protocol";
import { afterAll, beforeAll, expect } from "vitest";
import { EMPTY_FEED, type TFeed } from "./feed-window.ts";
import { applyToFeed } from "./live-reducers.ts";
import {
  applyConversationEvent,
  applyUserEvent,
  readConversationFrame,
  readUserFrame,
  type TState,
} from "./live-state-projection.ts";

const env = parseEnv({
  DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
  AUTH_SECRET: "test-secret-test-secret-test-secret!",
  PUBLIC_URL: "https://chat.example.test",
});

/**
 * The file's database (a workspace in it), made before its tests and dropped after them, with an
 * in-memory event bus installed as the sink. `db` throws outside the file's tests.
 */
export function liveStateTestDb(): { readonly db: TDb; readonly bus: MemoryEventBus } {
  let t: TTestDb | undefined;
  const bus = new MemoryEventBus();
  beforeAll(async () => {
    t = await createTestDb({ poolSize: 6 });
    await seedWorkspace(t.db, { name: "State" });
    setEventSink(bus);
  });
  afterAll(async () => {
    await t?.drop();
  });
  return {
    get db(): TDb {
      if (!t) throw new Error("the test database exists only while the file's tests run");
      return t.db;
    },
    bus,
  };
}

export type TUser = TActor & { name: string; caller: ReturnType<typeof createCaller> };

/** A seeded user with a session, and its tRPC caller. */
export async function newUser(db: TDb, name: string, role: TActor["role"] = "member"): Promise<TUser> {
  const user = await seedUser(db, { name: `${name} ${randomUUID().slice(0, 6)}`, role });
  const session = await db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  const caller = createCaller(await createContext({ db, sessionId: session.id, env }));
  return { userId: user.id, role: user.role, name: user.name, caller };
}

/** The kinds the messages story must show; the people story must show every other kind. */
export const MESSAGE_KINDS = [
  "message.created",
  "message.edited",
  "message.deleted",
  "reaction.added",
  "reaction.removed",
  "message.pinned",
  "message.unpinned",
  "message.preview",
] as const satisfies readonly TEventKind[];

/** Every kind, conversation and user, that is not a message kind. */
export const OTHER_KINDS: readonly string[] = [...EVENT_KINDS, ...USER_EVENT_KINDS].filter(
  (k) => !(MESSAGE_KINDS as readonly string[]).includes(k),
);

/** Fails naming each of `kinds` the story never delivered. */
export function expectKindsSeen(seen: Set<string>, kinds: readonly string[]): void {
  expect(kinds.filter((k) => !seen.has(k))).toEqual([]);
}

/** A channel (alice's, bob in it), four users, the state a client fetched and a `step` to drive it. */
export type TStory = {
  alice: TUser;
  bob: TUser;
  carol: TUser;
  owner: TUser;
  users: Map<string, TUser>;
  conversationId: string;
  /** The state the events keep, compared with a fresh fetch after every step. */
  s: TState;
  /** The kinds delivered so far. */
  seen: Set<string>;
  /** The live conversation frames delivered, as the fan-out encoded them. */
  liveFrames: string[];
  /** Runs `fn`, delivers what it published (encoded as the fan-out encodes), checks the state. */
  step: (fn: () => Promise<unknown>) => Promise<void>;
};

export async function startStory(db: TDb, bus: MemoryEventBus): Promise<TStory> {
  const alice = await newUser(db, "Alice");
  const bob = await newUser(db, "Bob");
  const carol = await newUser(db, "Carol");
  const owner = await newUser(db, "Olive", "owner");
  const users = new Map([alice, bob, carol, owner].map((u) => [u.userId, u]));
  const ch = await createChannel(db, alice, {
    name: `state-${randomUUID().slice(0, 8)}`,
    isPrivate: false,
    memberIds: [bob.userId],
  });
  const conversationId = ch.id;

  // The stale state: what a client fetched before the story's events.
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
        const picked = Object.fromEntries(Object.keys(view).map((k) => [k, fresh[k as keyof typeof fresh]]));
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

  return { alice, bob, carol, owner, users, conversationId, s, seen, liveFrames, step };
}

/**
 * `user`'s history of a conversation as the gateway replays it (frames built from the stored
 * payloads), applied to an empty feed. `edit` changes a frame's payload before it is applied, or
 * drops the frame by returning false.
 */
export async function replayFeed(
  db: TDb,
  user: TUser,
  conversationId: string,
  edit?: (payload: Record<string, unknown>, kind: string) => boolean | undefined,
): Promise<TFeed["messages"]> {
  const result = await syncSince(db, user, { cursors: { [conversationId]: 0 } }, { encode: true });
  let feed: TFeed = { ...EMPTY_FEED, hasMoreBefore: false, isComplete: true };
  for (const text of result.conversations[0]?.frames ?? []) {
    const frame = JSON.parse(text);
    if (edit?.(frame.payload, frame.kind) === false) continue;
    feed = applyToFeed(feed, readConversationFrame(JSON.stringify(frame)));
  }
  return feed.messages;
}
