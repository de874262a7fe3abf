import { describe, expect, it } from "vitest";
import { EVENT_KINDS, EventKind, USER_EVENT_KINDS, UserEventKind } from "./event-kinds.ts";
import {
  ConversationEventPayloads,
  decodeConversationEvent,
  decodeEventPayload,
  decodeUserEvent,
  type TConversationEventPayload,
  UserEventPayloads,
} from "./event-payloads.ts";
import type { TConversationEvent } from "./events.ts";

const ID = "0190a8c4-0000-7000-8000-0000000000a1";
const AT = new Date("2026-12-01T10:00:00.123Z");

function frame(kind: string, payload: Record<string, unknown>): TConversationEvent {
  return {
    type: "event",
    conversationId: ID,
    seq: 3,
    kind,
    actorId: ID,
    payload,
    createdAt: AT.toISOString(),
  };
}

const message: TConversationEventPayload<"message.created"> = {
  message: {
    id: ID,
    senderId: ID,
    senderName: "Ada",
    clientMsgId: "c1",
    body: "hi <@0190a8c4-0000-7000-8000-0000000000a1>",
    threadRootId: null,
    alsoInChannel: false,
    lastReplyAt: null,
    mentionedUserIds: [ID],
    mentionsAll: false,
    pinnedAt: null,
    pinnedById: null,
    createdAt: AT,
    attachments: [
      {
        id: ID,
        name: "a.png",
        mime: "image/png",
        size: 10,
        width: 2,
        height: 3,
        hasThumbnail: true,
        durationMs: null,
        waveform: [],
      },
    ],
  },
};

describe("event payload schemas", () => {
  it("have a schema for every conversation and user event kind", () => {
    expect(Object.keys(ConversationEventPayloads).sort()).toEqual([...EVENT_KINDS].sort());
    expect(Object.keys(UserEventPayloads).sort()).toEqual([...USER_EVENT_KINDS].sort());
  });

  it("decode what the server builds, sent as JSON, back to the same value (dates included)", () => {
    const wire = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
    expect(decodeEventPayload(EventKind.MessageCreated, wire)).toEqual(message);
    const deleted = { messageId: ID, deletedAt: AT, threadRootId: ID, replyCount: 0, lastReplyAt: null };
    expect(decodeEventPayload(EventKind.MessageDeleted, JSON.parse(JSON.stringify(deleted)))).toEqual(
      deleted,
    );
  });

  it("drop unknown fields, so a newer server's additions do not break this client", () => {
    const wire = JSON.parse(JSON.stringify(message));
    wire.message.futureField = 1;
    wire.futureTop = true;
    const event = decodeConversationEvent(frame(EventKind.MessageCreated, wire));
    expect(event?.payload).toEqual(message);
  });

  it("fill fields an older server did not send with their defaults", () => {
    const event = decodeConversationEvent(
      frame(EventKind.MessageCreated, {
        message: { id: ID, senderId: ID, body: "old", createdAt: AT.toISOString() },
      }),
    );
    expect(event?.kind === EventKind.MessageCreated && event.payload.message).toEqual({
      id: ID,
      senderId: ID,
      senderName: "",
      clientMsgId: "",
      body: "old",
      threadRootId: null,
      alsoInChannel: false,
      lastReplyAt: null,
      mentionedUserIds: [],
      mentionsAll: false,
      pinnedAt: null,
      pinnedById: null,
      createdAt: AT,
      attachments: [],
    });
  });

  it("decode an unknown kind, or a payload that does not fit, to null (the client ignores it)", () => {
    expect(decodeConversationEvent(frame("message.exploded", { messageId: ID }))).toBeNull();
    expect(decodeConversationEvent(frame(EventKind.MessagePinned, { messageId: ID }))).toBeNull();
    expect(
      decodeConversationEvent(
        frame(EventKind.MessageEdited, { messageId: ID, body: "x", editedAt: "yesterday" }),
      ),
    ).toBeNull();
    expect(decodeConversationEvent(frame("toString", {}))).toBeNull();
    expect(decodeUserEvent({ type: "user.event", seq: 1, kind: "hasOwnProperty", payload: {} })).toBeNull();
  });

  it("decode user events by kind", () => {
    expect(
      decodeUserEvent({
        type: "user.event",
        seq: 4,
        kind: UserEventKind.ReadUpdated,
        payload: { conversationId: ID, readSeq: 7, extra: "dropped" },
      }),
    ).toEqual({
      type: "user.event",
      seq: 4,
      kind: UserEventKind.ReadUpdated,
      payload: { conversationId: ID, readSeq: 7 },
    });
    expect(
      decodeUserEvent({
        type: "user.event",
        seq: 5,
        kind: UserEventKind.ReadUpdated,
        payload: { readSeq: 7 },
      }),
    ).toBeNull();
  });
});
