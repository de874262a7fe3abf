/**
 * Conversation.membersSeq and writesInFlight, as every writer keeps them (the fan-out relies on
 * both: fanout.ts). Real Postgres; the sink is a recorder.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createChannel, joinChannel, leaveConversation, setTopic } from "../src/conversations.ts";
import {
  getEventSink,
  setEventSink,
  type TConversationEventRecord,
  type TEventSink,
  writesInFlight,
} from "../src/events.ts";
import { sendMessage } from "../src/messages/send.ts";
import { sendOne } from "../src/messages/send-one.ts";
import { channelName, expectParley, newActor, useTestDb } from "./helpers.ts";

const t = useTestDb();

let recorded: TConversationEventRecord[] = [];
let previous: TEventSink;
beforeEach(() => {
  recorded = [];
  previous = getEventSink();
  setEventSink({ conversationEvent: (_id, event) => void recorded.push(event), userEvent() {} });
});
afterEach(() => setEventSink(previous));

async function membersSeqOf(id: string): Promise<number> {
  const row = await t.db.conversation.findUniqueOrThrow({ where: { id }, select: { membersSeq: true } });
  return row.membersSeq;
}

describe("membersSeq", () => {
  it("moves with every member-list change and stamps every committed event, on both send roads", async () => {
    const [owner, member, joiner] = await Promise.all([newActor(t.db), newActor(t.db), newActor(t.db)]);
    const ch = await createChannel(t.db, owner, {
      name: channelName("ms"),
      isPrivate: false,
      memberIds: [member.userId],
    });
    const created = recorded.filter((e) => e.conversationId === ch.id);
    const lastJoin = Math.max(...created.filter((e) => e.kind === "member.joined").map((e) => e.seq));
    expect(await membersSeqOf(ch.id)).toBe(lastJoin);
    for (const e of created) expect(e.membersSeq).toBe(e.kind === "member.joined" ? e.seq : e.membersSeq);

    // Group commit (three at once) and the single road both stamp the current membersSeq.
    recorded = [];
    const send = (body: string) => ({ conversationId: ch.id, clientMsgId: randomUUID(), body });
    await Promise.all([sendMessage(t.db, owner, send("a")), sendMessage(t.db, member, send("b"))]);
    await sendOne(t.db, owner, send("c"));
    expect(recorded.map((e) => e.membersSeq)).toEqual([lastJoin, lastJoin, lastJoin]);

    // A join moves it to the join's own seq; so do a leave and a conversation.updated.
    recorded = [];
    await joinChannel(t.db, joiner, { conversationId: ch.id });
    const joined = recorded.find((e) => e.kind === "member.joined");
    expect(joined?.membersSeq).toBe(joined?.seq);
    expect(await membersSeqOf(ch.id)).toBe(joined?.seq);
    await sendMessage(t.db, joiner, send("d"));
    expect(recorded.at(-1)?.membersSeq).toBe(joined?.seq);

    recorded = [];
    await setTopic(t.db, owner, { conversationId: ch.id, topic: "new topic" });
    await leaveConversation(t.db, joiner, { conversationId: ch.id });
    expect(recorded.map((e) => [e.kind, e.membersSeq === e.seq])).toEqual([
      ["conversation.updated", true],
      ["member.left", true],
    ]);
    expect(await membersSeqOf(ch.id)).toBe(recorded.at(-1)?.seq);
  });

  it("counts no write in flight once writes committed or were refused", async () => {
    const [owner, outsider] = await Promise.all([newActor(t.db), newActor(t.db)]);
    const ch = await createChannel(t.db, owner, { name: channelName("ms"), isPrivate: false, memberIds: [] });
    const send = (body: string) => ({ conversationId: ch.id, clientMsgId: randomUUID(), body });
    await Promise.all([sendMessage(t.db, owner, send("one")), sendMessage(t.db, owner, send("two"))]);
    await expectParley(sendMessage(t.db, outsider, send("refused")), "FORBIDDEN");
    await expectParley(sendOne(t.db, outsider, send("refused alone")), "FORBIDDEN");
    await expectParley(setTopic(t.db, outsider, { conversationId: ch.id, topic: "x" }), "FORBIDDEN");
    expect(writesInFlight.has(ch.id)).toBe(false);
  });
});
