/**
 * The sidebar list's counts moved by live events (list-counts.ts) equal a fresh fetch: Bob's list
 * as fetched, with what core then emits (read as the client reads it) applied, against what
 * conversations.list returns after each step. The same harness as the live-state stories.
 */
import { randomUUID } from "node:crypto";
import {
  createChannel,
  encodeConversationEvent,
  encodeUserEvent,
  markRead,
  sendMessage,
  type TConversationEventRecord,
  type TUserEventRecord,
} from "@parley/core";
import { userMentionToken } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import type { TConversationSummary } from "~/trpc/types";
import { applyReadMark, countNewMessage } from "./list-counts.ts";
import { liveStateTestDb, newUser } from "./live-state-harness.ts";
import { readConversationFrame, readUserFrame } from "./live-state-projection.ts";

const t = liveStateTestDb();

const COUNTS = ["id", "lastSeq", "readSeq", "unreadCount", "mentionCount"] as const;
const counts = (list: readonly TConversationSummary[]) =>
  list.map((c) => Object.fromEntries(COUNTS.map((k) => [k, c[k]])));

describe("the sidebar list's live counts equal a fresh fetch", () => {
  it("after others' messages (plain, mentions, thread replies, in a DM) and read marks", async () => {
    const alice = await newUser(t.db, "Alice");
    const bob = await newUser(t.db, "Bob");
    const channel = await createChannel(t.db, alice, {
      name: `counts-${randomUUID().slice(0, 8)}`,
      isPrivate: false,
      memberIds: [bob.userId],
    });
    const dm = await alice.caller.conversations.openDm({ userIds: [bob.userId] });
    let list: readonly TConversationSummary[] = await bob.caller.conversations.list();

    /** Runs `fn`, applies to Bob's list what it emitted, and compares with a fresh fetch. */
    const step = async (fn: () => Promise<unknown>) => {
      const published: (TConversationEventRecord | TUserEventRecord)[] = [];
      const off = t.bus.subscribeAll((e) => published.push(e));
      try {
        await fn();
      } finally {
        off();
      }
      for (const p of published) {
        let next: readonly TConversationSummary[] | null = list;
        if ("userId" in p) {
          if (p.userId !== bob.userId) continue;
          const e = readUserFrame(encodeUserEvent(p));
          if (e.kind === "read.updated") next = applyReadMark(list, e.payload);
        } else {
          const e = readConversationFrame(encodeConversationEvent(p));
          if (e.kind === "message.created") next = countNewMessage(list, e, bob.userId);
        }
        if (next === null) throw new Error("the list could not take an event the story expects it to");
        list = next;
      }
      expect(counts(list)).toStrictEqual(counts(await bob.caller.conversations.list()));
    };

    const send = (conversationId: string, body: string, more: object = {}) =>
      sendMessage(t.db, alice, { conversationId, clientMsgId: randomUUID(), body, ...more });
    let rootId = "";
    await step(async () => {
      rootId = (await send(channel.id, "plain")).message.id;
    });
    await step(() => send(channel.id, `hi ${userMentionToken(bob.userId)}`));
    await step(() => send(channel.id, "<!channel> lunch?"));
    await step(() =>
      send(channel.id, `${userMentionToken(bob.userId)} in the thread`, { threadRootId: rootId }),
    );
    await step(() => send(channel.id, "in both", { threadRootId: rootId, alsoInChannel: true }));
    await step(() => send(dm.id, "a DM"));
    // Bob's own message counts for nothing; then he reads the channel to its end.
    await step(() =>
      sendMessage(t.db, bob, { conversationId: channel.id, clientMsgId: randomUUID(), body: "mine" }),
    );
    const last = list.find((c) => c.id === channel.id)?.lastSeq ?? 0;
    await step(() => markRead(t.db, bob, { conversationId: channel.id, seq: last + 1 }));
    await step(() => send(channel.id, "after reading"));
  });
});
