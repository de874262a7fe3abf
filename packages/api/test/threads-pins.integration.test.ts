import { randomUUID } from "node:crypto";
import { parseEnv } from "@parley/config";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { userMentionToken } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";
import { expectCode } from "./helpers.ts";

let t: TTestDb;
const env = parseEnv({
  DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
  AUTH_SECRET: "test-secret-test-secret-test-secret!",
  PUBLIC_URL: "https://chat.example.test",
});

beforeAll(async () => {
  t = await createTestDb({ poolSize: 6 });
  await seedWorkspace(t.db, { name: "Threads" });
});
afterAll(async () => {
  await t?.drop();
});

async function callerFor(role: "member" | "admin" = "member") {
  const user = await seedUser(t.db, { role });
  const session = await t.db.authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  return { id: user.id, caller: createCaller(await createContext({ db: t.db, sessionId: session.id, env })) };
}

type Caller = Awaited<ReturnType<typeof callerFor>>["caller"];
const send = async (caller: Caller, conversationId: string, body: string, extra: object = {}) =>
  (await caller.messages.send({ conversationId, clientMsgId: randomUUID(), body, ...extra })).message;

describe("threads, mentions, pins, mute and status over tRPC", () => {
  it("serves threads, history without thread-only replies, and mention counts in the list", async () => {
    const alice = await callerFor();
    const bob = await callerFor();
    const ch = await alice.caller.conversations.create({
      name: `t-${randomUUID().slice(0, 8)}`,
      isPrivate: true,
      memberIds: [bob.id],
    });
    const root = await send(alice.caller, ch.id, "root");
    const quiet = await send(alice.caller, ch.id, `${userMentionToken(bob.id)} quiet`, {
      threadRootId: root.id,
    });
    const loud = await send(alice.caller, ch.id, "loud", { threadRootId: root.id, alsoInChannel: true });

    const history = await bob.caller.messages.history({ conversationId: ch.id });
    expect(history.messages.map((m) => m.id)).toEqual([root.id, loud.id]);
    expect(history.messages[0]).toMatchObject({ replyCount: 2 });

    const thread = await bob.caller.messages.thread({ rootId: root.id });
    expect(thread.root.id).toBe(root.id);
    expect(thread.replies.map((m) => [m.id, m.alsoInChannel])).toEqual([
      [quiet.id, false],
      [loud.id, true],
    ]);
    expect(thread.replies[0]!.mentionedUserIds).toEqual([bob.id]);

    const list = await bob.caller.conversations.list();
    expect(list.find((c) => c.id === ch.id)).toMatchObject({ unreadCount: 2, mentionCount: 1 });

    const before = await t.db.message.count();
    const err = await expectCode(send(alice.caller, ch.id, "nope", { alsoInChannel: true }), "BAD_REQUEST");
    expect(err.message).toMatch(/alsoInChannel/);
    expect(await t.db.message.count()).toBe(before);
  });

  it("pins through tRPC and keeps thread and pins of a private channel from non-members", async () => {
    const alice = await callerFor();
    const outsider = await callerFor();
    const ch = await alice.caller.conversations.create({
      name: `p-${randomUUID().slice(0, 8)}`,
      isPrivate: true,
    });
    const message = await send(alice.caller, ch.id, "pin me");

    expect(await alice.caller.messages.pin({ messageId: message.id })).toMatchObject({ isChanged: true });
    expect(await alice.caller.messages.pin({ messageId: message.id })).toMatchObject({ isChanged: false });
    const pins = await alice.caller.messages.pins({ conversationId: ch.id });
    expect(pins.map((m) => [m.id, m.pinnedById])).toEqual([[message.id, alice.id]]);

    await expectCode(outsider.caller.messages.pins({ conversationId: ch.id }), "NOT_FOUND");
    await expectCode(outsider.caller.messages.thread({ rootId: message.id }), "NOT_FOUND");
    await expectCode(outsider.caller.messages.pin({ messageId: message.id }), "NOT_FOUND");
    await expectCode(outsider.caller.messages.unpin({ messageId: message.id }), "NOT_FOUND");
    expect((await alice.caller.messages.pins({ conversationId: ch.id })).map((m) => m.id)).toEqual([
      message.id,
    ]);

    expect(await alice.caller.messages.unpin({ messageId: message.id })).toMatchObject({ isChanged: true });
    expect(await alice.caller.messages.pins({ conversationId: ch.id })).toEqual([]);
  });

  it("mutes and sets a status, refusing bad input without changing anything", async () => {
    const alice = await callerFor();
    const admin = await callerFor("admin");
    const ch = await alice.caller.conversations.create({ name: `m-${randomUUID().slice(0, 8)}` });
    expect((await alice.caller.conversations.setMuted({ conversationId: ch.id, muted: true })).muted).toBe(
      true,
    );
    const event = await t.db.userEvent.findFirst({
      where: { userId: alice.id, kind: "membership.updated" },
    });
    expect(event?.payload).toEqual({ conversationId: ch.id, muted: true });
    await expectCode(
      admin.caller.conversations.setMuted({ conversationId: ch.id, muted: true }),
      "FORBIDDEN",
    );

    expect(await alice.caller.users.setStatus({ emoji: "🤒", text: "Out sick" })).toMatchObject({
      statusEmoji: "🤒",
      statusText: "Out sick",
    });
    const err = await expectCode(
      alice.caller.users.setStatus({ emoji: "", text: "x".repeat(101) }),
      "BAD_REQUEST",
    );
    expect(err.message).toMatch(/100/);
    expect(await alice.caller.users.me()).toMatchObject({ statusEmoji: "🤒", statusText: "Out sick" });
    expect((await admin.caller.users.listAll()).find((u) => u.id === alice.id)).toMatchObject({
      statusEmoji: "🤒",
      statusText: "Out sick",
    });
    expect((await admin.caller.conversations.members({ conversationId: ch.id }))[0]).toMatchObject({
      userId: alice.id,
      statusText: "Out sick",
    });
  });
});
