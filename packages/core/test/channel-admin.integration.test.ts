/**
 * The admin console's channels (core/src/conversations/admin.ts, delete.ts): the list never shows
 * a private channel's content; converting changes who can find and read a channel; a new owner;
 * deleting removes everything, tells members live, and a send racing it either lands before it or
 * fails cleanly. Admins only; each action writes one audit entry.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLocalStorage } from "@parley/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TActor } from "../src/actor.ts";
import { deleteChannel } from "../src/conversations/delete.ts";
import {
  addMembers,
  archiveConversation,
  browseChannels,
  convertChannel,
  createChannel,
  getConversation,
  joinChannel,
  listAdminChannels,
  setChannelArchived,
  setChannelOwner,
  setDefaultChannel,
} from "../src/conversations.ts";
import { parseInput } from "../src/errors.ts";
import type { TUserEventRecord } from "../src/events.ts";
import { pinMessage } from "../src/messages/pins.ts";
import { addReaction } from "../src/messages/reactions.ts";
import { sendMessage } from "../src/messages/send.ts";
import { sendOne } from "../src/messages/send-one.ts";
import { getHistory } from "../src/messages.ts";
import { ZSendMessage } from "../src/schemas.ts";
import { indexSearchUntilCaughtUp } from "../src/search/indexer.ts";
import { searchNames } from "../src/search/names.ts";
import { searchMessages } from "../src/search/search.ts";
import {
  channelName,
  expectParley,
  holdLock,
  logCounts,
  newActor,
  stored,
  useTestDb,
  waitForLockWaiters,
} from "./helpers.ts";

const t = useTestDb();
let admin: TActor;
let alice: TActor;
let bob: TActor;
let outsider: TActor;
let storageDir: string;
let general: { id: string; name: string };

beforeAll(async () => {
  admin = await newActor(t.db, { role: "admin" });
  alice = await newActor(t.db, { name: "Alice" });
  bob = await newActor(t.db, { name: "Bob" });
  outsider = await newActor(t.db);
  const made = await createChannel(t.db, admin, { name: channelName("general") });
  general = { id: made.id, name: made.name };
  await t.db.workspace.update({ where: { id: 1 }, data: { generalChannelId: general.id } });
  storageDir = await mkdtemp(path.join(tmpdir(), "parley-channel-admin-"));
});
afterAll(async () => {
  if (storageDir) await rm(storageDir, { recursive: true, force: true });
});

const clientMsgId = () => crypto.randomUUID();
const send = (actor: TActor, conversationId: string, body: string) =>
  sendMessage(t.db, actor, { conversationId, clientMsgId: clientMsgId(), body });

/** Every audit entry of `action` on this channel. */
const auditOf = (action: string, conversationId: string) =>
  t.db.auditEntry.findMany({ where: { action, targetId: conversationId } });

describe("channelAdmin list", () => {
  it("lists public channels in full and private ones by name, member count and archived flag only", async () => {
    const prefix = channelName("adm");
    const pub = await createChannel(t.db, alice, { name: `${prefix}-pub`, topic: "Public talk" });
    const priv = await createChannel(t.db, alice, {
      name: `${prefix}-priv`,
      isPrivate: true,
      topic: "Secret plans",
      memberIds: [bob.userId],
    });
    await send(alice, priv.id, "the launch date is the 4th");
    const page = await listAdminChannels(t.db, admin, { query: prefix });
    expect(page.nextCursor).toBeNull();
    const [privRow, pubRow] = page.channels;
    expect(pubRow).toMatchObject({
      id: pub.id,
      kind: "public_channel",
      topic: "Public talk",
      memberCount: 1,
      isArchived: false,
      owner: { id: alice.userId, name: "Alice" },
      createdBy: { id: alice.userId, name: "Alice" },
      isGeneral: false,
    });
    // Exactly these keys: no topic, owner, creator, dates, last message — nothing from inside.
    expect(privRow).toEqual({
      id: priv.id,
      name: `${prefix}-priv`,
      kind: "private_channel",
      memberCount: 2,
      isArchived: false,
    });
    expect(JSON.stringify(privRow)).not.toMatch(/Secret plans|launch date|Alice|Bob/);
    // The admin was not let in: still no member, still NOT_FOUND for its history.
    await expectParley(getHistory(t.db, admin, { conversationId: priv.id }), "NOT_FOUND");
    expect(await t.db.membership.count({ where: { conversationId: priv.id, userId: admin.userId } })).toBe(0);
  });

  it("filters by kind, archived and part of the name (wildcards literal), and pages by name", async () => {
    const prefix = channelName("page");
    for (const n of ["a", "b", "c"]) await createChannel(t.db, alice, { name: `${prefix}-${n}` });
    await createChannel(t.db, alice, { name: `${prefix}-p`, isPrivate: true });
    const first = await listAdminChannels(t.db, admin, { query: prefix, limit: 2 });
    expect(first.channels.map((c) => c.name)).toEqual([`${prefix}-a`, `${prefix}-b`]);
    const second = await listAdminChannels(t.db, admin, {
      query: prefix,
      limit: 2,
      cursor: first.nextCursor!,
    });
    expect(second.channels.map((c) => c.name)).toEqual([`${prefix}-c`, `${prefix}-p`]);
    expect(second.nextCursor).toBeNull();
    const priv = await listAdminChannels(t.db, admin, { query: prefix, kind: "private" });
    expect(priv.channels.map((c) => c.name)).toEqual([`${prefix}-p`]);
    expect((await listAdminChannels(t.db, admin, { query: prefix, archived: "archived" })).channels).toEqual(
      [],
    );
    expect((await listAdminChannels(t.db, admin, { query: "%" })).channels).toEqual([]);
  });

  it("refuses members, channel owners included", async () => {
    await expectParley(listAdminChannels(t.db, alice, {}), "FORBIDDEN");
  });
});

describe("archive from the admin console", () => {
  it("archives and unarchives a private channel, answering its admin row only; never #general", async () => {
    const ch = await createChannel(t.db, alice, { name: channelName("arc"), isPrivate: true, topic: "hush" });
    const row = await setChannelArchived(t.db, admin, { conversationId: ch.id, archived: true });
    expect(row).toEqual({
      id: ch.id,
      name: ch.name,
      kind: "private_channel",
      memberCount: 1,
      isArchived: true,
    });
    const [entry] = await auditOf("channel.archived", ch.id);
    expect(entry?.details).toEqual({ kind: "private_channel", asWorkspaceAdmin: true });
    expect(
      (await setChannelArchived(t.db, admin, { conversationId: ch.id, archived: false })).isArchived,
    ).toBe(false);
    expect(await auditOf("channel.unarchived", ch.id)).toHaveLength(1);
    await expectParley(
      setChannelArchived(t.db, admin, { conversationId: general.id, archived: true }),
      "FORBIDDEN",
    );
    await expectParley(
      setChannelArchived(t.db, alice, { conversationId: ch.id, archived: true }),
      "FORBIDDEN",
    );
  });
});

describe("convert public ↔ private", () => {
  it("public → private: a non-member can no longer find, read, search or join it; members hear it live", async () => {
    const ch = await createChannel(t.db, alice, { name: channelName("conv"), memberIds: [bob.userId] });
    await setDefaultChannel(t.db, admin, { conversationId: ch.id, isDefault: true });
    const word = `zebrafish${Date.now()}`;
    await send(alice, ch.id, `about the ${word}`);
    await indexSearchUntilCaughtUp(t.db);
    expect((await searchMessages(t.db, outsider, { query: word })).hits).toHaveLength(1);
    expect((await browseChannels(t.db, outsider)).some((c) => c.id === ch.id)).toBe(true);
    const findsName = async () =>
      (await searchNames(t.db, outsider, { query: ch.name })).channels.some((c) => c.id === ch.id);
    expect(await findsName()).toBe(true);

    const events = await t.published(ch.id, () =>
      convertChannel(t.db, admin, { conversationId: ch.id, isPrivate: true }),
    );
    expect(events.map((e) => [e.kind, e.payload])).toEqual([
      ["conversation.updated", { kind: "private_channel" }],
    ]);
    const row = await t.db.conversation.findUniqueOrThrow({ where: { id: ch.id } });
    expect([row.kind, row.isDefault]).toEqual(["private_channel", false]);

    await expectParley(getConversation(t.db, outsider, { conversationId: ch.id }), "NOT_FOUND");
    await expectParley(getHistory(t.db, outsider, { conversationId: ch.id }), "NOT_FOUND");
    await expectParley(joinChannel(t.db, outsider, { conversationId: ch.id }), "NOT_FOUND");
    expect((await browseChannels(t.db, outsider)).some((c) => c.id === ch.id)).toBe(false);
    expect((await searchMessages(t.db, outsider, { query: word })).hits).toEqual([]);
    expect(await findsName()).toBe(false);
    // Members keep everything.
    expect((await searchMessages(t.db, bob, { query: word })).hits).toHaveLength(1);
    expect((await getHistory(t.db, bob, { conversationId: ch.id })).messages.length).toBeGreaterThan(0);

    const [entry] = await auditOf("channel.converted", ch.id);
    expect(entry).toMatchObject({
      actorId: admin.userId,
      details: { from: "public_channel", to: "private_channel" },
    });
  });

  it("private → public: a non-member can find, read and search it", async () => {
    const ch = await createChannel(t.db, alice, { name: channelName("open"), isPrivate: true });
    const word = `narwhal${Date.now()}`;
    await send(alice, ch.id, `the ${word} plan`);
    await indexSearchUntilCaughtUp(t.db);
    expect((await searchMessages(t.db, outsider, { query: word })).hits).toEqual([]);
    await expectParley(getHistory(t.db, outsider, { conversationId: ch.id }), "NOT_FOUND");

    await convertChannel(t.db, admin, { conversationId: ch.id, isPrivate: false });
    expect((await getHistory(t.db, outsider, { conversationId: ch.id })).messages.length).toBeGreaterThan(0);
    expect((await searchMessages(t.db, outsider, { query: word })).hits).toHaveLength(1);
    expect((await browseChannels(t.db, outsider)).some((c) => c.id === ch.id)).toBe(true);
    expect((await auditOf("channel.converted", ch.id)).length).toBe(1);
  });

  it("refuses #general, archived channels, DMs the admin is not in, and non-admins — writing nothing", async () => {
    const ch = await createChannel(t.db, alice, { name: channelName("own") });
    const archived = await createChannel(t.db, alice, { name: channelName("arch") });
    await archiveConversation(t.db, alice, { conversationId: archived.id });
    const before = await logCounts(t.db);
    await expectParley(
      convertChannel(t.db, admin, { conversationId: archived.id, isPrivate: true }),
      "FORBIDDEN",
      /archived/,
    );
    await expectParley(
      convertChannel(t.db, admin, { conversationId: general.id, isPrivate: true }),
      "FORBIDDEN",
      /general/,
    );
    // The channel's own owner is not an admin: FORBIDDEN.
    await expectParley(convertChannel(t.db, alice, { conversationId: ch.id, isPrivate: true }), "FORBIDDEN");
    const dm = await t.db.conversation.create({
      data: { kind: "dm", dmKey: `${alice.userId},${bob.userId}` },
    });
    await t.db.membership.createMany({
      data: [alice, bob].map((u) => ({ conversationId: dm.id, userId: u.userId })),
    });
    await expectParley(convertChannel(t.db, admin, { conversationId: dm.id, isPrivate: false }), "NOT_FOUND");
    await expectParley(
      convertChannel(t.db, admin, { conversationId: crypto.randomUUID(), isPrivate: false }),
      "NOT_FOUND",
    );
    expect(await logCounts(t.db)).toEqual(before);
    expect(
      await t.db.auditEntry.count({ where: { action: "channel.converted", targetId: general.id } }),
    ).toBe(0);
  });
});

describe("change owner", () => {
  it("makes a public channel's new owner join and own it; the previous owner becomes a member", async () => {
    const ch = await createChannel(t.db, alice, { name: channelName("own") });
    const events = await t.published(ch.id, () =>
      setChannelOwner(t.db, admin, { conversationId: ch.id, userId: bob.userId }),
    );
    expect(events.map((e) => e.kind)).toEqual(["member.joined", "conversation.updated"]);
    const roles = await t.db.membership.findMany({
      where: { conversationId: ch.id },
      orderBy: { joinedAt: "asc" },
    });
    expect(roles.map((m) => [m.userId, m.role])).toEqual([
      [alice.userId, "member"],
      [bob.userId, "owner"],
    ]);
    const [entry] = await auditOf("channel.owner_changed", ch.id);
    expect(entry?.details).toMatchObject({
      ownerId: bob.userId,
      joined: true,
      previousOwnerIds: [alice.userId],
    });
  });

  it("never makes a guest an owner (they manage nothing), and changes nothing", async () => {
    const ch = await createChannel(t.db, alice, { name: channelName("guest"), memberIds: [] });
    const guest = await newActor(t.db, { role: "guest" });
    await t.db.membership.create({ data: { conversationId: ch.id, userId: guest.userId } });
    const before = await logCounts(t.db);
    const err = await expectParley(
      setChannelOwner(t.db, admin, { conversationId: ch.id, userId: guest.userId }),
      "BAD_REQUEST",
    );
    expect(err.message).toBe("A guest cannot own a channel");
    expect(await logCounts(t.db)).toEqual(before);
  });

  it("refuses to make a non-member the owner of a private channel (the admin themselves included)", async () => {
    const ch = await createChannel(t.db, alice, {
      name: channelName("priv"),
      isPrivate: true,
      memberIds: [bob.userId],
    });
    const before = await logCounts(t.db);
    await expectParley(
      setChannelOwner(t.db, admin, { conversationId: ch.id, userId: admin.userId }),
      "BAD_REQUEST",
    );
    expect(await logCounts(t.db)).toEqual(before);
    await setChannelOwner(t.db, admin, { conversationId: ch.id, userId: bob.userId });
    const owner = await t.db.membership.findFirstOrThrow({ where: { conversationId: ch.id, role: "owner" } });
    expect(owner.userId).toBe(bob.userId);
    const [entry] = await auditOf("channel.owner_changed", ch.id);
    expect(entry?.details).not.toHaveProperty("previousOwnerIds");
    await expectParley(
      setChannelOwner(t.db, bob, { conversationId: ch.id, userId: alice.userId }),
      "FORBIDDEN",
    );
  });
});

describe("delete", () => {
  it("removes the channel and everything in it, tells every member live, and removes its files", async () => {
    const storage = createLocalStorage({
      dir: storageDir,
      publicBaseUrl: "http://localhost",
      secret: "a-test-secret-of-at-least-32-characters",
    });
    const ch = await createChannel(t.db, alice, { name: channelName("del"), memberIds: [bob.userId] });
    const root = stored(await send(alice, ch.id, "root"));
    await send(bob, ch.id, "reply");
    await addReaction(t.db, bob, { messageId: root.id, emoji: "👍" });
    await pinMessage(t.db, alice, { messageId: root.id });
    const objectKey = `att/${ch.id}/${crypto.randomUUID()}/a.txt`;
    await storage.putObject(objectKey, Buffer.from("hello"), { contentType: "text/plain" });
    await t.db.attachment.create({
      data: {
        uploaderId: alice.userId,
        conversationId: ch.id,
        messageId: root.id,
        objectKey,
        name: "a.txt",
        mime: "text/plain",
        size: 5n,
        status: "ready",
      },
    });
    await indexSearchUntilCaughtUp(t.db);
    await expectParley(
      deleteChannel(t.db, admin, { conversationId: ch.id, confirmName: "nope" }, storage),
      "BAD_REQUEST",
    );
    await expectParley(
      deleteChannel(t.db, alice, { conversationId: ch.id, confirmName: ch.name }, storage),
      "FORBIDDEN",
    );
    expect(await t.db.conversation.count({ where: { id: ch.id } })).toBe(1);

    const told: TUserEventRecord[] = [];
    const offs = [alice, bob].map((u) => t.bus.subscribeUser(u.userId, (e) => told.push(e)));
    const result = await deleteChannel(
      t.db,
      admin,
      { conversationId: ch.id, confirmName: `#${ch.name.toUpperCase()}` },
      storage,
    );
    for (const off of offs) off();
    expect(result).toMatchObject({ members: 2, messages: 2, files: 1 });
    expect(told.map((e) => [e.userId, e.kind, e.payload]).sort()).toEqual(
      [alice, bob]
        .map((u) => [
          u.userId,
          "conversation.removed",
          { conversationId: ch.id, removedBy: admin.userId, deleted: true },
        ])
        .sort(),
    );
    const where = { conversationId: ch.id };
    const left = await Promise.all([
      t.db.conversation.count({ where: { id: ch.id } }),
      t.db.membership.count({ where }),
      t.db.event.count({ where }),
      t.db.message.count({ where }),
      t.db.reaction.count({ where: { messageId: root.id } }),
      t.db.attachment.count({ where }),
      t.db.messageSearch.count({ where }),
      t.db.searchCursor.count({ where }),
    ]);
    expect(left).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await storage.statObject(objectKey)).toBeNull();
    await expectParley(getConversation(t.db, alice, { conversationId: ch.id }), "NOT_FOUND");
    const [entry] = await auditOf("channel.deleted", ch.id);
    expect(entry).toMatchObject({
      targetLabel: `#${ch.name}`,
      details: { members: 2, messages: 2, files: 1 },
    });
  });

  it("never deletes #general", async () => {
    await expectParley(
      deleteChannel(t.db, admin, { conversationId: general.id, confirmName: general.name }),
      "FORBIDDEN",
    );
    expect(await t.db.conversation.count({ where: { id: general.id } })).toBe(1);
  });

  it("a send waiting on the channel's lock while it is deleted fails cleanly on both roads (no orphans)", async () => {
    const ch = await createChannel(t.db, alice, { name: channelName("race"), memberIds: [bob.userId] });
    await send(alice, ch.id, "before");
    // Hold bob's user row: the deletion then takes the channel's lock and waits there.
    const holder = await holdLock(
      t.db,
      (tx) => tx.$queryRaw`SELECT id FROM "User" WHERE id = ${bob.userId}::uuid FOR UPDATE`,
    );
    const deleting = deleteChannel(t.db, admin, { conversationId: ch.id, confirmName: ch.name });
    await waitForLockWaiters(t.db, 1);
    const batched = send(alice, ch.id, "during, group commit").then(
      () => null,
      (e: unknown) => e,
    );
    const alone = sendOne(
      t.db,
      alice,
      parseInput(ZSendMessage, { conversationId: ch.id, clientMsgId: clientMsgId(), body: "during, alone" }),
    ).then(
      () => null,
      (e: unknown) => e,
    );
    await waitForLockWaiters(t.db, 3);
    holder.release();
    await holder.done;
    await deleting;
    for (const err of [await batched, await alone]) {
      expect(err).toMatchObject({ name: "ParleyError", code: "NOT_FOUND" });
    }
    expect(await t.db.message.count({ where: { conversationId: ch.id } })).toBe(0);
    expect(await t.db.event.count({ where: { conversationId: ch.id } })).toBe(0);
  });

  it("concurrent sends and a deletion: each send lands before it (and goes with it) or fails with NOT_FOUND", async () => {
    const ch = await createChannel(t.db, alice, { name: channelName("race2"), memberIds: [bob.userId] });
    await addMembers(t.db, alice, { conversationId: ch.id, userIds: [outsider.userId] });
    const sends = Array.from({ length: 12 }, (_, i) =>
      send([alice, bob, outsider][i % 3]!, ch.id, `m${i}`).then(
        () => "sent",
        (e: { code?: string }) => e.code ?? String(e),
      ),
    );
    await deleteChannel(t.db, admin, { conversationId: ch.id, confirmName: ch.name });
    const outcomes = await Promise.all(sends);
    for (const o of outcomes) expect(["sent", "NOT_FOUND"]).toContain(o);
    expect(await t.db.message.count({ where: { conversationId: ch.id } })).toBe(0);
    expect(await t.db.event.count({ where: { conversationId: ch.id } })).toBe(0);
  });
});
