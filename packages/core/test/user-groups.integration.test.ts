import { randomUUID } from "node:crypto";
import { groupMentionToken, userMentionToken } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import { getConversation } from "../src/conversations/view.ts";
import { addMembers, createChannel } from "../src/conversations.ts";
import { editMessage } from "../src/messages/edit.ts";
import { sendMessage } from "../src/messages/send.ts";
import { sendOne } from "../src/messages/send-one.ts";
import { getHistory } from "../src/messages.ts";
import { createUserGroup, deleteUserGroup, listUserGroups, updateUserGroup } from "../src/user-groups.ts";
import { channelName, expectParley, newActor, stored, useTestDb } from "./helpers.ts";

const t = useTestDb();

const handle = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function auditOf(action: string, targetId: string) {
  return t.db.auditEntry.findMany({ where: { action, targetId } });
}

describe("user groups", () => {
  it("admins only; handle rules; unique; active members; audit-logged", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const member = await newActor(t.db);
    const gone = await newActor(t.db);
    await t.db.user.update({ where: { id: gone.userId }, data: { deactivatedAt: new Date() } });
    const h = handle("design");

    const before = await t.db.userGroup.count();
    await expectParley(createUserGroup(t.db, member, { handle: h, name: "Design" }), "FORBIDDEN");
    for (const bad of ["", "has space", "-dash-first", "here", "@everyone", "x".repeat(81), "ümlaut"]) {
      await expectParley(createUserGroup(t.db, admin, { handle: bad, name: "Design" }), "BAD_REQUEST");
    }
    await expectParley(
      createUserGroup(t.db, admin, { handle: h, name: "Design", memberIds: [gone.userId] }),
      "BAD_REQUEST",
      /not active/,
    );
    expect(await t.db.userGroup.count()).toBe(before);

    const group = await createUserGroup(t.db, admin, {
      handle: `@${h.toUpperCase()}`,
      name: " Design team ",
      memberIds: [member.userId, member.userId],
    });
    expect(group).toMatchObject({
      handle: h,
      name: "Design team",
      memberIds: [member.userId],
      memberCount: 1,
    });
    await expectParley(createUserGroup(t.db, admin, { handle: h, name: "Again" }), "CONFLICT", /taken/);
    const [entry] = await auditOf("user_group.created", group.id);
    expect(entry).toMatchObject({ actorId: admin.userId, targetLabel: `@${h}` });

    // Everyone signed in lists it (the composer's autocomplete).
    expect((await listUserGroups(t.db, member)).find((g) => g.id === group.id)).toMatchObject({
      handle: h,
      memberIds: [member.userId],
    });
    await expectParley(updateUserGroup(t.db, member, { groupId: group.id, name: "Mine" }), "FORBIDDEN");
    await expectParley(deleteUserGroup(t.db, member, { groupId: group.id }), "FORBIDDEN");
  });

  it("@group in a message mentions the group's members who are in the conversation, on both send roads and edits", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const alice = await newActor(t.db);
    const bob = await newActor(t.db); // in the group and the channel
    const carol = await newActor(t.db); // in the group, not in the private channel
    const dave = await newActor(t.db); // in the channel, not in the group
    const group = await createUserGroup(t.db, admin, {
      handle: handle("eng"),
      name: "Engineering",
      memberIds: [carol.userId, bob.userId, alice.userId],
    });
    const ch = await createChannel(t.db, alice, { name: channelName("grp"), isPrivate: true });
    await addMembers(t.db, alice, { conversationId: ch.id, userIds: [bob.userId, dave.userId] });
    const token = groupMentionToken(group.id);

    // Group commit (the batch statement).
    const batched = stored(
      await sendMessage(t.db, alice, {
        conversationId: ch.id,
        clientMsgId: randomUUID(),
        body: `${token} ship it`,
      }),
    );
    // Alone (the single road), mentioning dave by name too: named people first, then the group's.
    const alone = stored(
      await sendOne(t.db, alice, {
        conversationId: ch.id,
        clientMsgId: randomUUID(),
        body: `${userMentionToken(dave.userId)} and ${token}`,
      }),
    );
    // The sender is a group member and in the channel: mentioned as any member mentioned by name would be.
    expect(batched.mentionedUserIds).toEqual([alice.userId, bob.userId].sort());
    expect(alone.mentionedUserIds).toEqual([dave.userId, ...[alice.userId, bob.userId].sort()]);
    const history = await getHistory(t.db, bob, { conversationId: ch.id });
    expect(history.messages.find((m) => m.id === batched.id)?.mentionedUserIds).toEqual(
      batched.mentionedUserIds,
    );

    // Unread mentions: bob has both, dave one (by name), carol cannot read the channel at all.
    expect((await getConversation(t.db, bob, { conversationId: ch.id })).mentionCount).toBe(2);
    expect((await getConversation(t.db, dave, { conversationId: ch.id })).mentionCount).toBe(1);
    await expectParley(getConversation(t.db, carol, { conversationId: ch.id }), "NOT_FOUND");

    // An edit re-reads the group: without the token nobody is mentioned.
    const edited = await editMessage(t.db, alice, { messageId: batched.id, body: "ship it" });
    expect(edited.mentionedUserIds).toEqual([]);
    const again = await editMessage(t.db, alice, { messageId: batched.id, body: `${token}!` });
    expect(again.mentionedUserIds).toEqual([alice.userId, bob.userId].sort());

    // An unknown group mentions nobody (and is not an error).
    const unknown = stored(
      await sendMessage(t.db, alice, {
        conversationId: ch.id,
        clientMsgId: randomUUID(),
        body: groupMentionToken(randomUUID()),
      }),
    );
    expect(unknown.mentionedUserIds).toEqual([]);
  });

  it("updates members and fields (audit lists the change), and deletes (messages keep their text)", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const a = await newActor(t.db);
    const b = await newActor(t.db);
    const h = handle("ops");
    const group = await createUserGroup(t.db, admin, { handle: h, name: "Ops", memberIds: [a.userId] });

    const same = await updateUserGroup(t.db, admin, {
      groupId: group.id,
      name: "Ops",
      memberIds: [a.userId],
    });
    expect(same.memberIds).toEqual([a.userId]);
    expect(await auditOf("user_group.updated", group.id)).toHaveLength(0);

    const h2 = handle("sre");
    const updated = await updateUserGroup(t.db, admin, {
      groupId: group.id,
      handle: h2,
      description: "On call",
      memberIds: [b.userId],
    });
    expect(updated).toMatchObject({ handle: h2, description: "On call", memberIds: [b.userId] });
    const [entry] = await auditOf("user_group.updated", group.id);
    expect(entry?.details).toEqual({
      handle: { before: h, after: h2 },
      description: { before: "", after: "On call" },
      membersAdded: [b.userId],
      membersRemoved: [a.userId],
    });
    await expectParley(updateUserGroup(t.db, admin, { groupId: randomUUID(), name: "x" }), "NOT_FOUND");

    const ch = await createChannel(t.db, a, { name: channelName("del"), memberIds: [b.userId] });
    const body = `${groupMentionToken(group.id)} hello`;
    const msg = stored(
      await sendMessage(t.db, a, { conversationId: ch.id, clientMsgId: randomUUID(), body }),
    );
    expect(msg.mentionedUserIds).toEqual([b.userId]);

    await deleteUserGroup(t.db, admin, { groupId: group.id });
    expect(await t.db.userGroup.findUnique({ where: { id: group.id } })).toBeNull();
    expect(await t.db.userGroupMember.count({ where: { groupId: group.id } })).toBe(0);
    expect((await listUserGroups(t.db, a)).some((g) => g.id === group.id)).toBe(false);
    const [deleted] = await auditOf("user_group.deleted", group.id);
    expect(deleted?.details).toEqual({ handle: h2, memberCount: 1 });
    await expectParley(deleteUserGroup(t.db, admin, { groupId: group.id }), "NOT_FOUND");
    const kept = (await getHistory(t.db, a, { conversationId: ch.id })).messages.find((m) => m.id === msg.id);
    expect(kept).toMatchObject({ body, mentionedUserIds: [b.userId] });
  });

  it("a guest lists groups with only the members they may see", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const guest = await newActor(t.db, { role: "guest" });
    const seen = await newActor(t.db);
    const unseen = await newActor(t.db);
    const ch = await createChannel(t.db, admin, {
      name: channelName("guest"),
      memberIds: [guest.userId, seen.userId],
    });
    expect(ch.id).toBeTruthy();
    const group = await createUserGroup(t.db, admin, {
      handle: handle("mix"),
      name: "Mix",
      memberIds: [seen.userId, unseen.userId],
    });
    const listed = (await listUserGroups(t.db, guest)).find((g) => g.id === group.id);
    expect(listed).toMatchObject({ memberIds: [seen.userId], memberCount: 2 });
  });
});
