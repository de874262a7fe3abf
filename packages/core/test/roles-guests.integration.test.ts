/**
 * Workspace roles (core/src/roles.ts), the guest role's limits (core/src/guests.ts, access.ts) and
 * password reset links (core/src/password-resets.ts), against real Postgres.
 */
import { randomUUID } from "node:crypto";
import { UserEventKind } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { resolveSession, verifyCredentials } from "../src/auth.ts";
import {
  addMembers,
  browseChannels,
  createChannel,
  getConversation,
  joinChannel,
  listMembers,
  openDm,
  removeMember,
} from "../src/conversations.ts";
import { sendMessage } from "../src/messages/send.ts";
import { getHistory } from "../src/messages.ts";
import { mailFrom } from "../src/notifications/email.ts";
import { createPasswordResetLink, resetPassword } from "../src/password-resets.ts";
import { changeRole, transferOwnership } from "../src/roles.ts";
import { indexSearchUntilCaughtUp } from "../src/search/indexer.ts";
import { searchNames } from "../src/search/names.ts";
import { searchMessages } from "../src/search/search.ts";
import { syncSince } from "../src/sync.ts";
import { listUsers } from "../src/users.ts";
import { channelName, expectParley, newActor, useTestDb } from "./helpers.ts";
import { startSmtpSink } from "./smtp-sink.ts";

const t = useTestDb();

/** Letters only, so Postgres's text parser keeps it one word. */
function tag(): string {
  return [...randomUUID().replaceAll("-", "").slice(0, 10)]
    .map((c) => String.fromCharCode(97 + Number.parseInt(c, 16)))
    .join("");
}

async function say(actor: TActor, conversationId: string, body: string) {
  return sendMessage(t.db, actor, { conversationId, clientMsgId: randomUUID(), body });
}

const auditCount = (action: string, targetId: string) =>
  t.db.auditEntry.count({ where: { action, targetId } });

describe("guests", () => {
  it("see, read, join, search and DM only within the channels they were added to", async () => {
    const word = tag();
    const admin = await newActor(t.db, { role: "admin", name: `Admin ${word}` });
    const member = await newActor(t.db, { name: `Member ${word}` });
    const outsider = await newActor(t.db, { name: `Outsider ${word}` });
    const guest = await newActor(t.db, { role: "guest", name: `Guest ${word}` });
    const open = await createChannel(t.db, admin, {
      name: channelName(`open-${word}`),
      memberIds: [outsider.userId],
    });
    const shared = await createChannel(t.db, admin, {
      name: channelName(`shared-${word}`),
      memberIds: [member.userId, guest.userId],
    });
    await say(admin, open.id, `${word} in the open channel`);
    await say(member, shared.id, `${word} in the shared channel`);

    // Browse and names: only the channel they are in.
    expect((await browseChannels(t.db, guest)).map((c) => c.id)).toEqual([shared.id]);
    expect((await browseChannels(t.db, member)).map((c) => c.id)).toContain(open.id);
    const names = await searchNames(t.db, guest, { query: word, limit: 20 });
    expect(names.channels.map((c) => c.id)).toEqual([shared.id]);
    // People: themselves and those they share a channel with; the outsider is nowhere.
    expect(names.people.map((p) => p.id).sort()).toEqual([admin.userId, member.userId, guest.userId].sort());
    const people = (await listUsers(t.db, guest)).map((u) => u.id);
    expect(people).not.toContain(outsider.userId);
    expect(people).toEqual(expect.arrayContaining([admin.userId, member.userId, guest.userId]));
    expect((await listUsers(t.db, member)).map((u) => u.id)).toContain(outsider.userId);

    // A public channel they were not added to answers like an unknown id, on every road.
    await expectParley(getConversation(t.db, guest, { conversationId: open.id }), "NOT_FOUND");
    await expectParley(getHistory(t.db, guest, { conversationId: open.id }), "NOT_FOUND");
    await expectParley(listMembers(t.db, guest, { conversationId: open.id }), "NOT_FOUND");
    await expectParley(joinChannel(t.db, guest, { conversationId: open.id }), "NOT_FOUND");
    await expectParley(say(guest, open.id, "hello"), "NOT_FOUND", /Conversation not found/);
    const sync = await syncSince(t.db, guest, { cursors: { [open.id]: 0, [shared.id]: 0 } });
    expect(sync.notFound).toEqual([open.id]);
    expect(sync.conversations.map((c) => c.conversationId)).toEqual([shared.id]);
    expect((await getHistory(t.db, guest, { conversationId: shared.id })).messages).toHaveLength(1);

    // Search never returns the open channel's message to them (it does to a member).
    await indexSearchUntilCaughtUp(t.db);
    const guestHits = (await searchMessages(t.db, guest, { query: word })).hits;
    expect(guestHits.map((h) => h.conversationId)).toEqual([shared.id]);
    const memberHits = (await searchMessages(t.db, member, { query: word })).hits;
    expect(memberHits.map((h) => h.conversationId).sort()).toEqual([open.id, shared.id].sort());

    // No channels, no adding people.
    await expectParley(createChannel(t.db, guest, { name: channelName("nope") }), "FORBIDDEN", /Guests/);
    await expectParley(
      addMembers(t.db, guest, { conversationId: shared.id, userIds: [outsider.userId] }),
      "FORBIDDEN",
      /Guests/,
    );

    // DMs: with people of a shared channel, yes; with an outsider (or a group including one), no —
    // whoever opens it.
    const dm = await openDm(t.db, guest, { userIds: [member.userId] });
    expect(dm.kind).toBe("dm");
    await expectParley(openDm(t.db, guest, { userIds: [outsider.userId] }), "FORBIDDEN", /share a channel/);
    await expectParley(
      openDm(t.db, guest, { userIds: [member.userId, outsider.userId] }),
      "FORBIDDEN",
      /share a channel/,
    );
    await expectParley(openDm(t.db, outsider, { userIds: [guest.userId] }), "FORBIDDEN", /share a channel/);
    expect((await openDm(t.db, member, { userIds: [outsider.userId] })).kind).toBe("dm");

    // Removed from the channel: it is gone for them (a member could still read a public one).
    await removeMember(t.db, admin, { conversationId: shared.id, userId: guest.userId });
    await expectParley(getHistory(t.db, guest, { conversationId: shared.id }), "NOT_FOUND");
    expect((await syncSince(t.db, guest, { cursors: { [shared.id]: 0 } })).notFound).toEqual([shared.id]);
  });

  it("a member made guest loses the public channels they had not joined at once, and keeps their own", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const person = await newActor(t.db);
    const mine = await createChannel(t.db, admin, { name: channelName("mine"), memberIds: [person.userId] });
    const other = await createChannel(t.db, admin, { name: channelName("other") });
    expect((await getConversation(t.db, person, { conversationId: other.id })).id).toBe(other.id);
    await changeRole(t.db, admin, { userId: person.userId, role: "guest" });
    // The actor object still says "member": every check reads the stored role.
    await expectParley(getConversation(t.db, person, { conversationId: other.id }), "NOT_FOUND");
    expect((await syncSince(t.db, person, { cursors: { [other.id]: 0 } })).notFound).toEqual([other.id]);
    expect((await getConversation(t.db, person, { conversationId: mine.id })).id).toBe(mine.id);
  });
});

describe("roles", () => {
  it("admins move people between member and guest; only the owner makes or unmakes admins; nobody changes their own", async () => {
    const owner = await newActor(t.db, { role: "owner" });
    const admin = await newActor(t.db, { role: "admin" });
    const otherAdmin = await newActor(t.db, { role: "admin" });
    const person = await newActor(t.db);

    const guest = await changeRole(t.db, admin, { userId: person.userId, role: "guest" });
    expect(guest.role).toBe("guest");
    const events = await t.db.userEvent.findMany({
      where: { userId: person.userId },
      orderBy: { seq: "asc" },
    });
    expect(events.at(-1)).toMatchObject({
      kind: UserEventKind.RoleChanged,
      payload: { role: "guest", previousRole: "member" },
    });
    expect(await auditCount("user.role_changed", person.userId)).toBe(1);
    // The same role again changes and records nothing.
    await changeRole(t.db, admin, { userId: person.userId, role: "guest" });
    expect(await auditCount("user.role_changed", person.userId)).toBe(1);

    await expectParley(changeRole(t.db, admin, { userId: person.userId, role: "admin" }), "FORBIDDEN");
    await expectParley(changeRole(t.db, admin, { userId: otherAdmin.userId, role: "member" }), "FORBIDDEN");
    await expectParley(changeRole(t.db, admin, { userId: owner.userId, role: "member" }), "FORBIDDEN");
    await expectParley(changeRole(t.db, admin, { userId: admin.userId, role: "member" }), "FORBIDDEN");
    await expectParley(changeRole(t.db, person, { userId: admin.userId, role: "guest" }), "FORBIDDEN");
    await expectParley(changeRole(t.db, owner, { userId: person.userId, role: "owner" }), "BAD_REQUEST");

    expect((await changeRole(t.db, owner, { userId: person.userId, role: "admin" })).role).toBe("admin");
    expect((await changeRole(t.db, owner, { userId: otherAdmin.userId, role: "member" })).role).toBe(
      "member",
    );
  });

  it("a demoted admin is refused at once, even holding an actor that still says admin", async () => {
    const owner = await newActor(t.db, { role: "owner" });
    const admin = await newActor(t.db, { role: "admin" });
    const person = await newActor(t.db);
    await changeRole(t.db, owner, { userId: admin.userId, role: "member" });
    await expectParley(changeRole(t.db, admin, { userId: person.userId, role: "guest" }), "FORBIDDEN");
    expect((await t.db.user.findUniqueOrThrow({ where: { id: person.userId } })).role).toBe("member");
  });

  it("ownership moves in one transaction: exactly one owner, the old one an admin; concurrent transfers let one win", async () => {
    // A workspace of its own kind: count owners among these people only.
    const owner = await newActor(t.db, { role: "owner" });
    const a = await newActor(t.db, { role: "admin" });
    const b = await newActor(t.db);
    const guest = await newActor(t.db, { role: "guest" });
    const ids = [owner.userId, a.userId, b.userId, guest.userId];
    const owners = async () =>
      (await t.db.user.findMany({ where: { id: { in: ids }, role: "owner" }, select: { id: true } })).map(
        (u) => u.id,
      );

    await expectParley(transferOwnership(t.db, a, { userId: b.userId }), "FORBIDDEN");
    await expectParley(
      transferOwnership(t.db, owner, { userId: guest.userId }),
      "BAD_REQUEST",
      /member first/,
    );
    await expectParley(transferOwnership(t.db, owner, { userId: owner.userId }), "BAD_REQUEST");

    const results = await Promise.allSettled([
      transferOwnership(t.db, owner, { userId: a.userId }),
      transferOwnership(t.db, owner, { userId: b.userId }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: "FORBIDDEN" });
    const [newOwner] = await owners();
    expect(await owners()).toHaveLength(1);
    expect([a.userId, b.userId]).toContain(newOwner);
    expect((await t.db.user.findUniqueOrThrow({ where: { id: owner.userId } })).role).toBe("admin");
    expect(await auditCount("workspace.ownership_transferred", newOwner!)).toBe(1);

    // The old owner, now an admin, can no longer hand it on or unmake the new owner.
    const formerOwner = { ...owner, role: "owner" as const };
    const other = newOwner === a.userId ? b.userId : a.userId;
    await expectParley(transferOwnership(t.db, formerOwner, { userId: other }), "FORBIDDEN");
    await expectParley(changeRole(t.db, formerOwner, { userId: newOwner!, role: "member" }), "FORBIDDEN");
    expect(await owners()).toEqual([newOwner]);
  });
});

describe("password reset links", () => {
  it("work once, until they expire, end the person's sessions, and follow the ranks", async () => {
    const owner = await newActor(t.db, { role: "owner" });
    const admin = await newActor(t.db, { role: "admin" });
    const person = await newActor(t.db);
    const signIn = (password: string) => verifyCredentials(t.db, { email: person.email, password });
    const session = await signIn(person.password);
    expect(session).not.toBeNull();

    const link = await createPasswordResetLink(
      t.db,
      admin,
      { userId: person.userId },
      {
        publicUrl: "https://chat.example.test",
      },
    );
    expect(link.emailed).toBe(false);
    const token = new URL(link.url).searchParams.get("token")!;
    expect(link.url).toMatch(/^https:\/\/chat\.example\.test\/reset-password\?token=/);
    expect(await t.db.passwordReset.count({ where: { tokenHash: token } })).toBe(0); // only a hash is stored
    expect(await auditCount("user.password_reset_created", person.userId)).toBe(1);

    const fresh = "violet-harbor-lantern-42";
    await resetPassword(t.db, { token, password: fresh });
    expect(await resolveSession(t.db, session!.sessionId)).toBeNull();
    expect(await signIn(person.password)).toBeNull();
    expect(await signIn(fresh)).not.toBeNull();
    await expectParley(resetPassword(t.db, { token, password: "another-violet-harbor-9" }), "FORBIDDEN");

    // Expired.
    const late = await createPasswordResetLink(
      t.db,
      owner,
      { userId: person.userId },
      {
        publicUrl: "https://chat.example.test",
      },
    );
    await t.db.passwordReset.updateMany({
      where: { userId: person.userId, usedAt: null },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const lateToken = new URL(late.url).searchParams.get("token")!;
    await expectParley(
      resetPassword(t.db, { token: lateToken, password: "another-violet-harbor-9" }),
      "FORBIDDEN",
    );
    expect(await signIn(fresh)).not.toBeNull();

    // A new link voids the earlier unused one.
    const first = await createPasswordResetLink(
      t.db,
      admin,
      { userId: person.userId },
      { publicUrl: "http://x.test" },
    );
    await createPasswordResetLink(t.db, admin, { userId: person.userId }, { publicUrl: "http://x.test" });
    const firstToken = new URL(first.url).searchParams.get("token")!;
    await expectParley(
      resetPassword(t.db, { token: firstToken, password: "another-violet-harbor-9" }),
      "FORBIDDEN",
    );

    // Ranks: an admin cannot reset the owner's or another admin's password.
    await expectParley(
      createPasswordResetLink(t.db, admin, { userId: owner.userId }, { publicUrl: "http://x.test" }),
      "FORBIDDEN",
    );
    await expectParley(
      createPasswordResetLink(t.db, person, { userId: admin.userId }, { publicUrl: "http://x.test" }),
      "FORBIDDEN",
    );
    expect(await auditCount("user.password_reset_created", owner.userId)).toBe(0);
  });

  it("are e-mailed to the person when SMTP is configured, and the e-mailed link sets the password", async () => {
    const admin = await newActor(t.db, { role: "admin" });
    const person = await newActor(t.db, { name: "Pat <Person>" });
    const { arrived, mailer, close } = await startSmtpSink();
    const publicUrl = "https://chat.example.test";
    const delivery = { publicUrl, mailer, from: mailFrom({ PUBLIC_URL: publicUrl }) };
    let closed = false;
    try {
      const link = await createPasswordResetLink(t.db, admin, { userId: person.userId }, delivery);
      expect(link.emailed).toBe(true);
      expect(arrived).toHaveLength(1);
      const mail = arrived[0]!;
      expect(mail).toMatchObject({ to: person.email, subject: "Set a new Parley password" });
      // The mail holds the same link the admin was shown, in both parts; the name is escaped in HTML.
      expect(mail.text).toContain(link.url);
      expect(mail.html).toContain(`href="${link.url}"`);
      expect(mail.html).toContain("Pat &#60;Person&#62;");
      expect(
        await t.db.auditEntry.findFirst({
          where: { action: "user.password_reset_created", targetId: person.userId },
        }),
      ).toMatchObject({ actorId: admin.userId, details: { emailed: true } });
      expect(
        JSON.stringify(await t.db.auditEntry.findMany({ where: { targetId: person.userId } })),
      ).not.toContain(link.url);
      // The person follows the link from the mail, not the admin's copy.
      const mailed = mail.text.match(/https:\/\/\S+/)?.[0] ?? "";
      const token = new URL(mailed).searchParams.get("token")!;
      await resetPassword(t.db, { token, password: "violet-harbor-lantern-77" });
      expect(
        await verifyCredentials(t.db, { email: person.email, password: "violet-harbor-lantern-77" }),
      ).not.toBeNull();

      // The mail server gone: the link is still made, to copy, and says it was not e-mailed.
      await close();
      closed = true;
      const copy = await createPasswordResetLink(t.db, admin, { userId: person.userId }, delivery);
      expect(copy).toMatchObject({ emailed: false, url: expect.stringMatching(/\/reset-password\?token=/) });
      expect(arrived).toHaveLength(1);
    } finally {
      if (!closed) await close();
    }
  });
});
