import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  addMembers,
  archiveConversation,
  browseChannels,
  createChannel,
  getConversation,
  joinChannel,
  leaveConversation,
  listMembers,
  listMyConversations,
  openDm,
  removeMember,
  renameChannel,
  setTopic,
  unarchiveConversation,
} from "../src/conversations.ts";
import type { TUserEventRecord } from "../src/events.ts";
import { markRead } from "../src/messages/read.ts";
import { sendMessage } from "../src/messages/send.ts";
import { channelName, expectParley, logCounts, newActor, useTestDb } from "./helpers.ts";

const t = useTestDb();
const { bus } = t;

const say = (actor: Parameters<typeof sendMessage>[1], conversationId: string, body = "hi") =>
  sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body });

describe("channels", () => {
  it("creates a channel with the creator as owner, logs member.joined and rejects duplicate names", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const name = channelName("Team");
    const ch = await createChannel(t.db, alice, {
      name: name.toUpperCase(),
      isPrivate: false,
      memberIds: [bob.userId],
    });
    expect(ch).toMatchObject({
      kind: "public_channel",
      name: name.toLowerCase(),
      memberRole: "owner",
      isMember: true,
    });
    const members = await listMembers(t.db, bob, { conversationId: ch.id });
    expect(members.map((m) => [m.userId, m.role])).toEqual([
      [alice.userId, "owner"],
      [bob.userId, "member"],
    ]);
    const events = await t.db.event.findMany({ where: { conversationId: ch.id }, orderBy: { seq: "asc" } });
    expect(events.map((e) => [e.seq, e.kind])).toEqual([
      [1, "member.joined"],
      [2, "member.joined"],
    ]);
    await expectParley(createChannel(t.db, bob, { name, isPrivate: true }), "CONFLICT");
    await expectParley(createChannel(t.db, bob, { name: "has space", isPrivate: true }), "BAD_REQUEST");
  });

  it("lets people join public channels but not private ones, and browse shows counts", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const pub = await createChannel(t.db, alice, { name: channelName(), isPrivate: false });
    const priv = await createChannel(t.db, alice, { name: channelName(), isPrivate: true });
    await expectParley(joinChannel(t.db, bob, { conversationId: priv.id }), "NOT_FOUND");
    const joined = await joinChannel(t.db, bob, { conversationId: pub.id });
    expect(joined.isMember).toBe(true);
    // Joining again is a no-op (no second member.joined).
    await joinChannel(t.db, bob, { conversationId: pub.id });
    expect(await t.db.event.count({ where: { conversationId: pub.id, kind: "member.joined" } })).toBe(2);

    const browse = await browseChannels(t.db, bob);
    expect(browse.find((c) => c.id === pub.id)).toMatchObject({ memberCount: 2, isMember: true });
    expect(browse.find((c) => c.id === priv.id)).toBeUndefined();
    const browseAlice = await browseChannels(t.db, alice);
    expect(browseAlice.find((c) => c.id === priv.id)).toMatchObject({ memberCount: 1, isMember: true });
  });

  it("lets only the channel owner or a workspace admin rename and archive; any member sets the topic", async () => {
    const owner = await newActor(t.db);
    const member = await newActor(t.db);
    const admin = await newActor(t.db, { role: "admin" });
    const ch = await createChannel(t.db, owner, {
      name: channelName(),
      isPrivate: false,
      memberIds: [member.userId],
    });
    await expectParley(
      renameChannel(t.db, member, { conversationId: ch.id, name: channelName() }),
      "FORBIDDEN",
    );
    await expectParley(archiveConversation(t.db, member, { conversationId: ch.id }), "FORBIDDEN");
    const newName = channelName("renamed");
    expect((await renameChannel(t.db, admin, { conversationId: ch.id, name: newName })).name).toBe(newName);
    expect((await setTopic(t.db, member, { conversationId: ch.id, topic: "Ship it" })).topic).toBe("Ship it");
    const outsider = await newActor(t.db);
    await expectParley(setTopic(t.db, outsider, { conversationId: ch.id, topic: "x" }), "FORBIDDEN");

    const archived = await archiveConversation(t.db, owner, { conversationId: ch.id });
    expect(archived.archivedAt).toBeInstanceOf(Date);
    await expectParley(setTopic(t.db, member, { conversationId: ch.id, topic: "late" }), "FORBIDDEN");
    await expectParley(
      addMembers(t.db, owner, { conversationId: ch.id, userIds: [outsider.userId] }),
      "FORBIDDEN",
    );
    await expectParley(joinChannel(t.db, outsider, { conversationId: ch.id }), "FORBIDDEN");
    const back = await unarchiveConversation(t.db, admin, { conversationId: ch.id });
    expect(back.archivedAt).toBeNull();
    await say(member, ch.id, "alive again");

    const updates = await t.db.event.findMany({
      where: { conversationId: ch.id, kind: "conversation.updated" },
      orderBy: { seq: "asc" },
    });
    expect(updates.map((e) => e.payload)).toEqual([
      { name: newName },
      { topic: "Ship it" },
      { archived: true },
      { archived: false },
    ]);
  });

  it("adds members (members only, private or public) and removes them (owner/admin or yourself)", async () => {
    const owner = await newActor(t.db);
    const member = await newActor(t.db);
    const newcomer = await newActor(t.db);
    const outsider = await newActor(t.db);
    const priv = await createChannel(t.db, owner, {
      name: channelName(),
      isPrivate: true,
      memberIds: [member.userId],
    });
    await expectParley(
      addMembers(t.db, outsider, { conversationId: priv.id, userIds: [outsider.userId] }),
      "NOT_FOUND",
    );
    const userEvents: TUserEventRecord[] = [];
    const off = bus.subscribeUser(newcomer.userId, (e) => userEvents.push(e));
    const { added } = await addMembers(t.db, member, {
      conversationId: priv.id,
      userIds: [newcomer.userId, owner.userId],
    });
    off();
    expect(added).toEqual([newcomer.userId]);
    expect(userEvents.map((e) => [e.kind, e.payload.conversationId])).toEqual([
      ["conversation.added", priv.id],
    ]);
    await expectParley(
      addMembers(t.db, member, { conversationId: priv.id, userIds: [randomUUID()] }),
      "BAD_REQUEST",
    );

    await expectParley(
      removeMember(t.db, member, { conversationId: priv.id, userId: newcomer.userId }),
      "FORBIDDEN",
    );
    await removeMember(t.db, owner, { conversationId: priv.id, userId: newcomer.userId });
    await removeMember(t.db, member, { conversationId: priv.id, userId: member.userId }); // yourself
    const left = await listMembers(t.db, owner, { conversationId: priv.id });
    expect(left.map((m) => m.userId)).toEqual([owner.userId]);
    await expectParley(getConversation(t.db, member, { conversationId: priv.id }), "NOT_FOUND");
    await expectParley(leaveConversation(t.db, member, { conversationId: priv.id }), "NOT_FOUND");
    const kinds = await t.db.event.findMany({ where: { conversationId: priv.id }, orderBy: { seq: "asc" } });
    expect(kinds.map((e) => e.kind)).toEqual([
      "member.joined",
      "member.joined",
      "member.joined",
      "member.left",
      "member.left",
    ]);
  });
});

describe("DMs", () => {
  it("opens one DM per set of people, in any order, also concurrently", async () => {
    const [a, b, c] = await Promise.all([newActor(t.db), newActor(t.db), newActor(t.db)]);
    const dm = await openDm(t.db, a, { userIds: [b.userId] });
    expect(dm).toMatchObject({ kind: "dm", name: b.name });
    expect((await openDm(t.db, b, { userIds: [a.userId] })).id).toBe(dm.id);
    expect((await openDm(t.db, b, { userIds: [a.userId] })).name).toBe(a.name);

    const group = await Promise.all([
      openDm(t.db, a, { userIds: [b.userId, c.userId] }),
      openDm(t.db, b, { userIds: [c.userId, a.userId] }),
      openDm(t.db, c, { userIds: [a.userId, b.userId, c.userId] }),
      openDm(t.db, a, { userIds: [c.userId, b.userId, b.userId] }),
    ]);
    expect(new Set(group.map((g) => g.id)).size).toBe(1);
    expect(group[0]!.kind).toBe("group_dm");
    expect(await t.db.membership.count({ where: { conversationId: group[0]!.id } })).toBe(3);

    const self = await openDm(t.db, a, { userIds: [a.userId] });
    expect(self).toMatchObject({ kind: "dm", name: a.name });
    expect((await openDm(t.db, a, { userIds: [a.userId] })).id).toBe(self.id);
  });

  it("keeps outsiders out of DMs and refuses leaving or adding", async () => {
    const [a, b, c] = await Promise.all([newActor(t.db), newActor(t.db), newActor(t.db)]);
    const dm = await openDm(t.db, a, { userIds: [b.userId] });
    await expectParley(getConversation(t.db, c, { conversationId: dm.id }), "NOT_FOUND");
    await expectParley(listMembers(t.db, c, { conversationId: dm.id }), "NOT_FOUND");
    await expectParley(say(c, dm.id), "NOT_FOUND");
    await expectParley(addMembers(t.db, a, { conversationId: dm.id, userIds: [c.userId] }), "FORBIDDEN");
    await expectParley(leaveConversation(t.db, a, { conversationId: dm.id }), "FORBIDDEN");
    const many = await Promise.all(Array.from({ length: 9 }, () => newActor(t.db)));
    await expectParley(openDm(t.db, a, { userIds: many.map((u) => u.userId) }), "BAD_REQUEST");
    await expectParley(openDm(t.db, a, { userIds: [randomUUID()] }), "BAD_REQUEST");
  });
});

describe("read state", () => {
  it("counts unread messages from others and never moves the read cursor backwards", async () => {
    const alice = await newActor(t.db);
    const bob = await newActor(t.db);
    const ch = await createChannel(t.db, alice, {
      name: channelName(),
      isPrivate: false,
      memberIds: [bob.userId],
    });
    const dm = await openDm(t.db, alice, { userIds: [bob.userId] });
    await say(alice, ch.id, "mine");
    const m2 = await say(bob, ch.id, "one");
    const m3 = await say(bob, ch.id, "two");
    const deleted = await say(bob, ch.id, "three");
    await t.db.message.update({ where: { id: deleted.message.id }, data: { deletedAt: new Date() } });
    await say(bob, dm.id, "psst");

    const list = await listMyConversations(t.db, alice);
    const byId = new Map(list.map((c) => [c.id, c]));
    expect(byId.get(ch.id)).toMatchObject({ unreadCount: 2, lastSeq: deleted.message.seq });
    expect(byId.get(dm.id)).toMatchObject({ unreadCount: 1, kind: "dm", name: bob.name });
    // Bob did not read Alice's message; his own three are never unread for him.
    expect((await listMyConversations(t.db, bob)).find((c) => c.id === ch.id)?.unreadCount).toBe(1);

    const events: TUserEventRecord[] = [];
    const off = bus.subscribeUser(alice.userId, (e) => events.push(e));
    expect(await markRead(t.db, alice, { conversationId: ch.id, seq: m3.message.seq })).toEqual({
      readSeq: m3.message.seq,
    });
    expect(await markRead(t.db, alice, { conversationId: ch.id, seq: m2.message.seq })).toEqual({
      readSeq: m3.message.seq,
    });
    expect(await markRead(t.db, alice, { conversationId: ch.id, seq: 10_000 })).toEqual({
      readSeq: deleted.message.seq,
    });
    off();
    expect(events.map((e) => [e.kind, e.payload.readSeq])).toEqual([
      ["read.updated", m3.message.seq],
      ["read.updated", deleted.message.seq],
    ]);
    const stored = await t.db.userEvent.findMany({ where: { userId: alice.userId, kind: "read.updated" } });
    expect(stored).toHaveLength(2);
    expect((await listMyConversations(t.db, alice)).find((c) => c.id === ch.id)?.unreadCount).toBe(0);

    const outsider = await newActor(t.db);
    const before = await logCounts(t.db);
    await expectParley(markRead(t.db, outsider, { conversationId: ch.id, seq: 1 }), "FORBIDDEN");
    await expectParley(markRead(t.db, alice, { conversationId: ch.id, seq: -1 }), "BAD_REQUEST");
    expect(await logCounts(t.db)).toEqual(before);
  });

  it("starts a new member with everything so far read", async () => {
    const alice = await newActor(t.db);
    const late = await newActor(t.db);
    const ch = await createChannel(t.db, alice, { name: channelName(), isPrivate: false });
    for (let i = 0; i < 3; i++) await say(alice, ch.id);
    const joined = await joinChannel(t.db, late, { conversationId: ch.id });
    expect(joined).toMatchObject({ unreadCount: 0, readSeq: joined.lastSeq });
    await say(alice, ch.id);
    expect((await getConversation(t.db, late, { conversationId: ch.id })).unreadCount).toBe(1);
  });
});
