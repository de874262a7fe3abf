/**
 * The state test's projection (live-state-harness.ts drives it): how a client reads a frame, and
 * what each event kind does to the state it holds. Message kinds go through the web's reducers
 * (live-reducers.ts) and are compared whole, so a field on one side only fails. The other kinds
 * are applied here (the web refetches on them) by handlers that destructure every payload field: a
 * field added to a payload fails the test until it is handled. The handler maps are typed by kind,
 * so a new kind without a case does not compile.
 */
import {
  decodeConversationEvent,
  decodeUserEvent,
  parseServerFrame,
  type TCustomEmoji,
  type TEventKind,
  type TKnownConversationEvent,
  type TKnownUserEvent,
  type TUserEventKind,
} from "@parley/protocol";
import { expect } from "vitest";
import { applyEmojiChange } from "./custom-emoji.ts";
import type { TFeed } from "./feed-window.ts";
import { applyToFeed, applyToThread, type TLiveEvent, type TThread } from "./live-reducers.ts";

/** What the gateway hands a socket, as the client reads it: the wire text, parsed, payload decoded. */
export function readConversationFrame(text: string): TKnownConversationEvent {
  const frame = parseServerFrame(text);
  if (frame?.type !== "event") throw new Error(`not an event frame: ${text}`);
  const event = decodeConversationEvent(frame);
  if (!event) throw new Error(`the client cannot decode what core emitted: ${text}`);
  return event;
}

export function readUserFrame(text: string): TKnownUserEvent {
  const frame = parseServerFrame(text);
  if (frame?.type !== "user.event") throw new Error(`not a user.event frame: ${text}`);
  const event = decodeUserEvent(frame);
  if (!event) throw new Error(`the client cannot decode what core emitted: ${text}`);
  return event;
}

/** One user's view of one conversation, as far as user events tell it. */
type TMyConversation = { kind?: string; isMember?: boolean; readSeq?: number; muted?: boolean };

/** Everything the events keep current, held as a client would. */
export type TState = {
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

export function applyConversationEvent(s: TState, e: TKnownConversationEvent): void {
  (conversationHandlers[e.kind] as (s: TState, e: TKnownConversationEvent) => void)(s, e);
}

export function applyUserEvent(s: TState, userId: string, e: TKnownUserEvent): void {
  (userHandlers[e.kind] as (s: TState, userId: string, e: TKnownUserEvent) => void)(s, userId, e);
}
