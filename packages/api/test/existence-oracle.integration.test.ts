/**
 * Issue 9, defect 5 (existence oracle): for every procedure that takes an id, the answer for an id
 * the caller cannot read (a private channel, DM or group DM they are not in — or were removed
 * from —, and the messages, threads, pins and files in them) must be exactly the answer for an id
 * that does not exist: same HTTP status, same code, same message, same shape. Calls go through the
 * real HTTP handler (superjson, error formatter), as browsers and SDK users make them.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv, type TEnv } from "@parley/config";
import { addReaction, createChannel, openDm, pinMessage, removeMember, sendMessage } from "@parley/core";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../src/trpc.ts";
import { trpcOverHttp } from "./helpers.ts";

let t: TTestDb;
let dir: string;
let env: TEnv;

beforeAll(async () => {
  t = await createTestDb({ poolSize: 6 });
  await seedWorkspace(t.db, { name: "Oracle" });
  dir = await mkdtemp(path.join(tmpdir(), "parley-api-oracle-"));
  env = parseEnv({
    DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
    AUTH_SECRET: "test-secret-test-secret-test-secret!",
    PUBLIC_URL: "https://chat.example.test",
    STORAGE_DIR: dir,
  });
});
afterAll(async () => {
  await t?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const QUERIES = new Set([
  "conversations.get",
  "conversations.members",
  "messages.history",
  "messages.thread",
  "messages.pins",
  "files.downloadUrl",
  "receipts.get",
  "saved.ids",
]);

type Answer = { status: number; body: unknown };

/** One tRPC call over HTTP as `sessionId`; the whole answer (status and JSON body). */
async function call(sessionId: string, procedure: string, input: unknown): Promise<Answer> {
  const res = await trpcOverHttp(procedure, input, {
    isQuery: QUERIES.has(procedure),
    context: () => createContext({ db: t.db, sessionId, env }),
  });
  const body = (await res.json()) as { error?: { json?: { data?: { stack?: string } } } };
  // Outside production tRPC adds the server's stack trace; production answers never carry it.
  delete body.error?.json?.data?.stack;
  return { status: res.status, body };
}

async function sessionOf(userId: string): Promise<string> {
  const session = await t.db.authSession.create({
    data: { userId, expiresAt: new Date(Date.now() + 3600_000) },
  });
  return session.id;
}

/** A conversation's ids the outsider must not learn anything about. */
type Target = {
  label: string;
  conversationId: string;
  messageId: string;
  rootId: string;
  attachmentId: string;
  pendingUploadId: string;
};

/** A procedure taking an id, called with the id of `target` (or, for the control, unknown ids). */
type Case = { procedure: string; input: (ids: Target) => unknown };

const CASES: Case[] = [
  { procedure: "conversations.get", input: (x) => ({ conversationId: x.conversationId }) },
  { procedure: "conversations.members", input: (x) => ({ conversationId: x.conversationId }) },
  { procedure: "conversations.join", input: (x) => ({ conversationId: x.conversationId }) },
  { procedure: "conversations.leave", input: (x) => ({ conversationId: x.conversationId }) },
  {
    procedure: "conversations.rename",
    input: (x) => ({ conversationId: x.conversationId, name: "renamed" }),
  },
  { procedure: "conversations.setTopic", input: (x) => ({ conversationId: x.conversationId, topic: "t" }) },
  { procedure: "conversations.archive", input: (x) => ({ conversationId: x.conversationId }) },
  { procedure: "conversations.unarchive", input: (x) => ({ conversationId: x.conversationId }) },
  {
    procedure: "conversations.addMembers",
    input: (x) => ({ conversationId: x.conversationId, userIds: [spare] }),
  },
  {
    procedure: "conversations.removeMember",
    input: (x) => ({ conversationId: x.conversationId, userId: owner }),
  },
  { procedure: "conversations.setMuted", input: (x) => ({ conversationId: x.conversationId, muted: true }) },
  { procedure: "conversations.markRead", input: (x) => ({ conversationId: x.conversationId, seq: 1 }) },
  { procedure: "receipts.get", input: (x) => ({ conversationId: x.conversationId }) },
  {
    procedure: "notifications.setConversation",
    input: (x) => ({ conversationId: x.conversationId, level: "all" }),
  },
  { procedure: "messages.history", input: (x) => ({ conversationId: x.conversationId }) },
  { procedure: "messages.pins", input: (x) => ({ conversationId: x.conversationId }) },
  { procedure: "messages.thread", input: (x) => ({ rootId: x.rootId }) },
  { procedure: "messages.thread", input: (x) => ({ rootId: x.messageId }) },
  {
    procedure: "messages.send",
    input: (x) => ({ conversationId: x.conversationId, clientMsgId: randomUUID(), body: "hello?" }),
  },
  {
    // A reply, in a channel the caller may post in, to a root they cannot read.
    procedure: "messages.send",
    input: (x) => ({
      conversationId: openChannel,
      clientMsgId: randomUUID(),
      body: "re",
      threadRootId: x.rootId,
    }),
  },
  { procedure: "messages.edit", input: (x) => ({ messageId: x.messageId, body: "edited" }) },
  { procedure: "messages.react", input: (x) => ({ messageId: x.messageId, emoji: "👍" }) },
  { procedure: "messages.unreact", input: (x) => ({ messageId: x.messageId, emoji: "👍" }) },
  { procedure: "messages.pin", input: (x) => ({ messageId: x.messageId }) },
  { procedure: "messages.unpin", input: (x) => ({ messageId: x.messageId }) },
  { procedure: "messages.delete", input: (x) => ({ messageId: x.messageId }) },
  {
    procedure: "files.createUpload",
    input: (x) => ({ conversationId: x.conversationId, name: "a.txt", size: 3, mime: "text/plain" }),
  },
  { procedure: "files.downloadUrl", input: (x) => ({ attachmentId: x.attachmentId }) },
  { procedure: "files.downloadUrl", input: (x) => ({ attachmentId: x.attachmentId, variant: "thumbnail" }) },
  { procedure: "files.downloadUrl", input: (x) => ({ attachmentId: x.pendingUploadId }) },
  { procedure: "files.completeUpload", input: (x) => ({ attachmentId: x.pendingUploadId }) },
  { procedure: "saved.ids", input: (x) => ({ conversationId: x.conversationId }) },
  { procedure: "saved.save", input: (x) => ({ messageId: x.messageId }) },
  // saved.unsave is not here: it refuses no id (it only removes the caller's own row) and answers
  // {messageId, isSaved: false, isChanged: false} alike for unreadable, unknown and unsaved ids.
  {
    procedure: "reminders.create",
    input: (x) => ({ messageId: x.messageId, when: { kind: "in", minutes: 20 } }),
  },
];

let owner: string;
let spare: string;
let openChannel: string;
const targets: Target[] = [];
/** Callers who cannot read any target: a workspace member never in them, and one removed from the private channel. */
const callers: { label: string; sessionId: string }[] = [];
let removedSessionId: string;
let removedClientMsgId: string;
let privateChannelId: string;

const unknownTarget = (): Target => ({
  label: "unknown",
  conversationId: randomUUID(),
  messageId: randomUUID(),
  rootId: randomUUID(),
  attachmentId: randomUUID(),
  pendingUploadId: randomUUID(),
});

describe("unreadable ids answer exactly like unknown ones (issue 9, defect 5)", () => {
  beforeAll(async () => {
    const [ada, carol, dave, eve, bob, sam] = await Promise.all(
      ["Ada", "Carol", "Dave", "Eve", "Bob", "Sam"].map((name) => seedUser(t.db, { name })),
    );
    owner = ada!.id;
    spare = sam!.id;
    const asAda = { userId: ada!.id, role: ada!.role };
    const asBob = { userId: bob!.id, role: bob!.role };
    const priv = await createChannel(t.db, asAda, {
      name: `secret-${randomUUID().slice(0, 8)}`,
      isPrivate: true,
      memberIds: [carol!.id, bob!.id],
    });
    privateChannelId = priv.id;
    const dm = await openDm(t.db, asAda, { userIds: [carol!.id] });
    const group = await openDm(t.db, asAda, { userIds: [carol!.id, dave!.id] });
    const open = await createChannel(t.db, asAda, {
      name: `open-${randomUUID().slice(0, 8)}`,
      memberIds: [eve!.id, bob!.id],
    });
    openChannel = open.id;

    // Bob posts in the private channel, then is removed from it.
    removedClientMsgId = randomUUID();
    await sendMessage(t.db, asBob, {
      conversationId: priv.id,
      clientMsgId: removedClientMsgId,
      body: "mine",
    });

    for (const [label, conversationId] of [
      ["private channel", priv.id],
      ["DM", dm.id],
      ["group DM", group.id],
    ] as const) {
      const send = async (body: string, extra: object = {}) =>
        (await sendMessage(t.db, asAda, { conversationId, clientMsgId: randomUUID(), body, ...extra }))
          .message;
      const root = await send("root");
      await send("reply", { threadRootId: root.id });
      const message = await send("pinned, reacted, with a file");
      await pinMessage(t.db, asAda, { messageId: message.id });
      await addReaction(t.db, asAda, { messageId: message.id, emoji: "🎉" });
      const file = await t.db.attachment.create({
        data: {
          uploaderId: ada!.id,
          conversationId,
          messageId: message.id,
          objectKey: `att/${conversationId}/${randomUUID()}/a.png`,
          name: "a.png",
          mime: "image/png",
          size: 3n,
          status: "ready",
          thumbnailKey: `att/${conversationId}/${randomUUID()}/a.png.thumb.webp`,
        },
      });
      const pending = await t.db.attachment.create({
        data: {
          uploaderId: ada!.id,
          conversationId,
          objectKey: `att/${conversationId}/${randomUUID()}/b.txt`,
          name: "b.txt",
          mime: "text/plain",
          size: 3n,
        },
      });
      targets.push({
        label,
        conversationId,
        messageId: message.id,
        rootId: root.id,
        attachmentId: file.id,
        pendingUploadId: pending.id,
      });
    }
    await removeMember(t.db, asAda, { conversationId: priv.id, userId: bob!.id });

    removedSessionId = await sessionOf(bob!.id);
    callers.push({ label: "a workspace member", sessionId: await sessionOf(eve!.id) });
    callers.push({ label: "a member removed from the private channel", sessionId: removedSessionId });
  });

  it("gives every procedure taking an id the same answer for unreadable and unknown ids", async () => {
    let compared = 0;
    for (const caller of callers) {
      for (const target of targets) {
        for (const c of CASES) {
          const unreadable = await call(caller.sessionId, c.procedure, c.input(target));
          const unknown = await call(caller.sessionId, c.procedure, c.input(unknownTarget()));
          const where = `${c.procedure} ${JSON.stringify(c.input(target))} on a ${target.label} by ${caller.label}`;
          // Soft: one run lists every procedure that still leaks, not just the first.
          expect.soft(unreadable, where).toEqual(unknown);
          expect.soft(unknown.status, where).toBe(404);
          compared += 1;
        }
      }
    }
    expect(compared).toBe(callers.length * targets.length * CASES.length);
  });

  it("answers a removed member's resend of their own old message like an unknown conversation (defect 6)", async () => {
    const resend = await call(removedSessionId, "messages.send", {
      conversationId: privateChannelId,
      clientMsgId: removedClientMsgId,
      body: "mine",
    });
    const unknown = await call(removedSessionId, "messages.send", {
      conversationId: randomUUID(),
      clientMsgId: randomUUID(),
      body: "mine",
    });
    expect(resend).toEqual(unknown);
    expect(resend.status).toBe(404);
    expect(JSON.stringify(resend.body)).not.toContain("mine");
  });
});
