import { randomUUID } from "node:crypto";
import { parseEnv } from "@parley/config";
import { verifyCredentials, verifyTicket } from "@parley/core";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";
import { expectCode } from "./helpers.ts";

let t: TTestDb;
const env = parseEnv({
  DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
  AUTH_SECRET: "test-secret-test-secret-test-secret!",
  PUBLIC_URL: "https://chat.example.test",
  REALTIME_PUBLIC_URL: "wss://rt.example.test",
});

beforeAll(async () => {
  t = await createTestDb({ poolSize: 10 });
});
afterAll(async () => {
  await t?.drop();
});

const anon = async () => createCaller(await createContext({ db: t.db, env }));
const asSession = async (sessionId: string) =>
  createCaller(await createContext({ db: t.db, sessionId, env }));
const asBearer = async (bearerToken: string, sessionId?: string) =>
  createCaller(await createContext({ db: t.db, bearerToken, sessionId, env }));

async function signIn(email: string, password: string) {
  const result = await verifyCredentials(t.db, { email, password, userAgent: "vitest" });
  if (!result) throw new Error(`cannot sign in ${email}`);
  return { caller: await asSession(result.sessionId), sessionId: result.sessionId, user: result.user };
}

const password = "correct horse battery";
let owner: Awaited<ReturnType<typeof signIn>>;
let bob: Awaited<ReturnType<typeof signIn>>;

describe("tRPC API", () => {
  it("sets the workspace up once through workspace.setup", async () => {
    const caller = await anon();
    expect(await caller.workspace.status()).toEqual({
      isSetUp: false,
      name: null,
      signupMode: "invite_only",
      signupDomains: [],
      allowOpenSignup: false,
      ssoOnly: false,
    });
    await caller.workspace.setup({ workspaceName: "Acme", name: "Ada", email: "ada@acme.test", password });
    await expectCode(
      caller.workspace.setup({ workspaceName: "Acme", name: "Ada", email: "ada2@acme.test", password }),
      "CONFLICT",
    );
    owner = await signIn("ada@acme.test", password);
    expect(await owner.caller.users.me()).toMatchObject({ email: "ada@acme.test", role: "owner" });
  });

  it("refuses anonymous callers on protected procedures and members on admin ones", async () => {
    const caller = await anon();
    await expectCode(caller.users.me(), "UNAUTHORIZED");
    await expectCode(caller.conversations.list(), "UNAUTHORIZED");
    await expectCode((await asSession(randomUUID())).users.me(), "UNAUTHORIZED");

    await expectCode(caller.auth.signUp({ name: "Bob", email: "bob@acme.test", password }), "FORBIDDEN");
    const invite = await owner.caller.auth.createInvite();
    expect(invite.url).toBe(`https://chat.example.test/sign-up?invite=${invite.token}`);
    await caller.auth.signUp({ name: "Bob", email: "bob@acme.test", password, inviteToken: invite.token });
    await expectCode(
      caller.auth.signUp({ name: "Bo2", email: "bob2@acme.test", password, inviteToken: invite.token }),
      "FORBIDDEN",
    );
    bob = await signIn("bob@acme.test", password);
    await expectCode(bob.caller.workspace.update({ allowOpenSignup: true }), "FORBIDDEN");
    await expectCode(bob.caller.users.deactivate({ userId: owner.user.id }), "FORBIDDEN");
    expect(await owner.caller.workspace.update({ allowOpenSignup: true })).toMatchObject({
      allowOpenSignup: true,
    });
    expect((await bob.caller.users.list()).map((u) => u.email).sort()).toEqual([
      "ada@acme.test",
      "bob@acme.test",
    ]);
  });

  it("lets members post and read; keeps non-members out of private channels", async () => {
    const ch = await owner.caller.conversations.create({ name: "core-team", isPrivate: true });
    const sent = await owner.caller.messages.send({
      conversationId: ch.id,
      clientMsgId: randomUUID(),
      body: "hi",
    });
    expect(sent).toMatchObject({ duplicate: false, message: { body: "hi", senderName: "Ada" } });
    if (sent.duplicate) throw new Error("a first send is not a duplicate");
    expect(sent.message.createdAt).toBeInstanceOf(Date); // superjson round trip in real clients

    await expectCode(bob.caller.messages.history({ conversationId: ch.id }), "NOT_FOUND");
    await expectCode(
      bob.caller.messages.send({ conversationId: ch.id, clientMsgId: randomUUID(), body: "let me in" }),
      "NOT_FOUND",
    );
    await expectCode(bob.caller.conversations.members({ conversationId: ch.id }), "NOT_FOUND");
    await expectCode(bob.caller.conversations.join({ conversationId: ch.id }), "NOT_FOUND");

    await owner.caller.conversations.addMembers({ conversationId: ch.id, userIds: [bob.user.id] });
    const history = await bob.caller.messages.history({ conversationId: ch.id });
    expect(history.messages.map((m) => m.body)).toEqual(["hi"]);
    const list = await bob.caller.conversations.list();
    expect(list.find((c) => c.id === ch.id)).toMatchObject({ name: "core-team", unreadCount: 0 });
    await owner.caller.messages.send({ conversationId: ch.id, clientMsgId: randomUUID(), body: "welcome" });
    const after = (await bob.caller.conversations.list()).find((c) => c.id === ch.id)!;
    expect(after.unreadCount).toBe(1);
    await bob.caller.conversations.markRead({ conversationId: ch.id, seq: after.lastSeq });
    expect((await bob.caller.conversations.get({ conversationId: ch.id })).unreadCount).toBe(0);

    const dm = await bob.caller.conversations.openDm({ userIds: [owner.user.id] });
    expect((await owner.caller.conversations.openDm({ userIds: [bob.user.id] })).id).toBe(dm.id);

    await owner.caller.conversations.archive({ conversationId: ch.id });
    await expectCode(
      bob.caller.messages.send({ conversationId: ch.id, clientMsgId: randomUUID(), body: "too late" }),
      "FORBIDDEN",
    );
  });

  it("maps bad input to BAD_REQUEST, unknown ids to NOT_FOUND, and writes nothing", async () => {
    const ch = await owner.caller.conversations.create({ name: "inputs", isPrivate: false });
    const before = [await t.db.event.count(), await t.db.message.count()];
    const send = (input: Record<string, unknown>) =>
      owner.caller.messages.send({
        conversationId: ch.id,
        clientMsgId: randomUUID(),
        body: "x",
        ...input,
      } as never);
    await expectCode(send({ body: "" }), "BAD_REQUEST");
    await expectCode(send({ body: "   " }), "BAD_REQUEST");
    await expectCode(send({ body: "x".repeat(env.MAX_MESSAGE_LENGTH + 1) }), "BAD_REQUEST");
    await expectCode(send({ conversationId: "nope" }), "BAD_REQUEST");
    await expectCode(send({ conversationId: randomUUID() }), "NOT_FOUND");
    expect([await t.db.event.count(), await t.db.message.count()]).toEqual(before);
  });

  it("formats errors over HTTP with the tRPC code, status and flattened zod issues", async () => {
    const call = async (path: string, input: unknown) => {
      const res = await fetchRequestHandler({
        endpoint: "/api/trpc",
        router: appRouter,
        req: new Request(`http://localhost/api/trpc/${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(superjson.serialize(input)),
        }),
        createContext: () => createContext({ db: t.db, sessionId: owner.sessionId, env }),
      });
      type ErrorBody = {
        error: {
          json: {
            message: string;
            data: { code: string; zodError: { fieldErrors: Record<string, string[] | undefined> } | null };
          };
        };
      };
      return { status: res.status, body: (await res.json()) as ErrorBody };
    };
    const bad = await call("conversations.create", { name: "Has Space", isPrivate: false });
    expect(bad.status).toBe(400);
    expect(bad.body.error.json.data.code).toBe("BAD_REQUEST");
    expect(bad.body.error.json.data.zodError?.fieldErrors.name?.[0]).toMatch(/lower-case/);

    const forbidden = await call("conversations.join", { conversationId: randomUUID() });
    expect(forbidden.status).toBe(404);
    expect(forbidden.body.error.json.data.code).toBe("NOT_FOUND");
    expect(forbidden.body.error.json.message).toBe("Conversation not found");
  });

  it("is idempotent per clientMsgId through messages.send", async () => {
    const ch = await owner.caller.conversations.create({ name: "idem", isPrivate: false });
    const input = { conversationId: ch.id, clientMsgId: randomUUID(), body: "once" };
    const [a, b] = await Promise.all([owner.caller.messages.send(input), owner.caller.messages.send(input)]);
    expect(a.message.id).toBe(b.message.id);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    expect(await t.db.message.count({ where: { conversationId: ch.id } })).toBe(1);
    // A resend is answered with the ack identity only: no body, files or reactions (issue 9, defect 6).
    const again = await owner.caller.messages.send(input);
    expect(again).toEqual({
      duplicate: true,
      message: {
        id: a.message.id,
        conversationId: ch.id,
        seq: a.message.seq,
        clientMsgId: input.clientMsgId,
      },
    });
  });

  it("edits, reacts and unreacts through messages.edit / react / unreact", async () => {
    const ch = await owner.caller.conversations.create({ name: "reactions", isPrivate: false });
    await bob.caller.conversations.join({ conversationId: ch.id });
    const { message } = await owner.caller.messages.send({
      conversationId: ch.id,
      clientMsgId: randomUUID(),
      body: "draft",
    });
    const edited = await owner.caller.messages.edit({ messageId: message.id, body: "final" });
    expect(edited).toMatchObject({ body: "final", seq: message.seq + 1 });
    expect(edited.editedAt).toBeInstanceOf(Date);
    await expectCode(bob.caller.messages.edit({ messageId: message.id, body: "mine now" }), "FORBIDDEN");

    expect(await bob.caller.messages.react({ messageId: message.id, emoji: "🎉" })).toMatchObject({
      isChanged: true,
    });
    expect((await bob.caller.messages.react({ messageId: message.id, emoji: "🎉" })).isChanged).toBe(false);
    await expectCode(bob.caller.messages.react({ messageId: message.id, emoji: "nope" }), "BAD_REQUEST");
    const history = await owner.caller.messages.history({ conversationId: ch.id });
    expect(history.messages.at(-1)).toMatchObject({
      body: "final",
      reactions: [{ emoji: "🎉", count: 1, userIds: [bob.user.id] }],
    });
    expect((await bob.caller.messages.unreact({ messageId: message.id, emoji: "🎉" })).isChanged).toBe(true);
    expect(
      (await owner.caller.messages.history({ conversationId: ch.id })).messages.at(-1)?.reactions,
    ).toEqual([]);
  });

  it("lists and revokes sessions and tokens; a bearer token wins over the session", async () => {
    const second = await signIn("bob@acme.test", password);
    const sessions = await bob.caller.sessions.list();
    expect(sessions.find((s) => s.id === bob.sessionId)?.isCurrent).toBe(true);
    expect(sessions.find((s) => s.id === second.sessionId)?.isCurrent).toBe(false);
    await bob.caller.sessions.revoke({ id: second.sessionId });
    await expectCode((await asSession(second.sessionId)).users.me(), "UNAUTHORIZED");
    await expectCode(owner.caller.sessions.revoke({ id: bob.sessionId }), "NOT_FOUND");

    const third = await signIn("bob@acme.test", password);
    expect(await bob.caller.sessions.revokeOthers()).toEqual({ count: 1 });
    await expectCode((await asSession(third.sessionId)).users.me(), "UNAUTHORIZED");
    expect((await (await asSession(bob.sessionId)).users.me()).email).toBe("bob@acme.test");

    const created = await bob.caller.tokens.create({ name: "bot" });
    expect(created).toMatchObject({ name: "bot", prefix: created.token.slice(0, 12) });
    expect((await bob.caller.tokens.list()).map((x) => x.id)).toContain(created.id);
    // The bearer token decides who you are, even next to someone else's session.
    const viaToken = await asBearer(created.token, owner.sessionId);
    expect((await viaToken.users.me()).email).toBe("bob@acme.test");
    await expectCode((await asBearer("plt_wrong", owner.sessionId)).users.me(), "UNAUTHORIZED");

    const { ticket, url } = await viaToken.realtime.ticket();
    expect(url).toBe("wss://rt.example.test");
    expect(await verifyTicket(env.AUTH_SECRET, ticket)).toEqual({ userId: bob.user.id, tokenId: created.id });
    const fromSession = await bob.caller.realtime.ticket();
    expect(await verifyTicket(env.AUTH_SECRET, fromSession.ticket)).toEqual({
      userId: bob.user.id,
      sessionId: bob.sessionId,
    });

    await bob.caller.tokens.revoke({ id: created.id });
    await expectCode((await asBearer(created.token)).users.me(), "UNAUTHORIZED");
  });

  it("locks a deactivated user out: their sessions and tokens get UNAUTHORIZED", async () => {
    await (await anon()).auth.signUp({ name: "Carl", email: "carl@acme.test", password });
    const carl = await signIn("carl@acme.test", password);
    const { token } = await carl.caller.tokens.create({ name: "carl-bot" });
    expect((await (await asBearer(token)).users.me()).email).toBe("carl@acme.test");

    await owner.caller.users.deactivate({ userId: carl.user.id });
    await expectCode((await asSession(carl.sessionId)).users.me(), "UNAUTHORIZED");
    await expectCode((await asBearer(token)).conversations.list(), "UNAUTHORIZED");
    await expectCode(
      (await asBearer(token)).messages.send({
        conversationId: randomUUID(),
        clientMsgId: randomUUID(),
        body: "x",
      }),
      "UNAUTHORIZED",
    );
    expect((await owner.caller.users.list()).map((u) => u.email)).not.toContain("carl@acme.test");
    const everyone = await owner.caller.users.listAll();
    expect(everyone.find((u) => u.email === "carl@acme.test")?.isDeactivated).toBe(true);
    await expectCode(bob.caller.users.listAll(), "FORBIDDEN");
    await expectCode(owner.caller.users.deactivate({ userId: owner.user.id }), "FORBIDDEN");
    await owner.caller.users.reactivate({ userId: carl.user.id });
    expect((await signIn("carl@acme.test", password)).user.email).toBe("carl@acme.test");
  });
});
