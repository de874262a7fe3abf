/** The bot events stream's scope rules: which conversations a bot token's socket sees, and its masked user log. */
import { randomUUID } from "node:crypto";
import { decodeUserEvent, HIDDEN_USER_EVENT_KIND, parseServerFrame, UserEventKind } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import {
  encodeStreamUserEvent,
  isStreamReadable,
  requireNoPresenceScope,
  streamReaches,
  streamScope,
} from "../src/bots/stream.ts";
import type { TUserEventRecord } from "../src/events.ts";

const mine = randomUUID();
const other = randomUUID();
const readWrite = streamScope({ channelIds: [mine], canRead: true, canWrite: true });
const writeOnly = streamScope({ channelIds: [mine], canRead: false, canWrite: true });

const userEvent = (seq: number, kind: TUserEventRecord["kind"], payload: Record<string, unknown>) =>
  ({ userId: randomUUID(), seq, kind, payload, createdAt: new Date() }) satisfies TUserEventRecord;

describe("bot events stream scope", () => {
  it("reaches only its channels, and nothing without read", () => {
    expect(streamReaches(readWrite, mine)).toBe(true);
    expect(streamReaches(readWrite, other)).toBe(false);
    expect(streamReaches(readWrite, undefined)).toBe(false);
    expect(streamReaches(writeOnly, mine)).toBe(false);
  });

  it("replays a conversation only when it is one of its channels and the bot is a member", () => {
    const conversation = { id: mine, kind: "private_channel" as const, isMember: true };
    expect(isStreamReadable(readWrite, conversation)).toBe(true);
    expect(isStreamReadable(readWrite, { ...conversation, isMember: false })).toBe(false);
    expect(isStreamReadable(readWrite, { ...conversation, kind: "dm" })).toBe(false);
    expect(isStreamReadable(readWrite, { ...conversation, id: other })).toBe(false);
    expect(isStreamReadable(writeOnly, conversation)).toBe(false);
  });

  it("sends user-log entries about its channels as they are and every other one as user.hidden with its seq", () => {
    const added = userEvent(7, UserEventKind.ConversationAdded, {
      conversationId: mine,
      kind: "public_channel",
      addedBy: randomUUID(),
    });
    expect(parseServerFrame(encodeStreamUserEvent(readWrite, added))).toEqual({
      type: "user.event",
      seq: 7,
      kind: "conversation.added",
      payload: added.payload,
    });
    const hidden = [
      userEvent(8, UserEventKind.ConversationAdded, { conversationId: other, kind: "dm", addedBy: "x" }),
      userEvent(9, UserEventKind.RoleChanged, { role: "member", previousRole: "admin" }),
    ];
    for (const event of hidden) {
      const frame = parseServerFrame(encodeStreamUserEvent(readWrite, event));
      if (frame?.type !== "user.event") throw new Error("not a user.event frame");
      expect(frame).toEqual({
        type: "user.event",
        seq: event.seq,
        kind: HIDDEN_USER_EVENT_KIND,
        payload: {},
      });
      // Clients ignore it (its seq still counts).
      expect(decodeUserEvent(frame)).toBeNull();
    }
    expect(JSON.parse(encodeStreamUserEvent(writeOnly, added))).toMatchObject({
      kind: HIDDEN_USER_EVENT_KIND,
    });
  });

  it("refuses presence to bot tokens only", () => {
    expect(() =>
      requireNoPresenceScope({ scope: { channelIds: [mine], canRead: true, canWrite: true } }),
    ).toThrow(/do not watch or set presence/);
    expect(() => requireNoPresenceScope({})).not.toThrow();
  });
});
