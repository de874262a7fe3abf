/**
 * Issue 9 (defects 2 and 9), over the real router and HTTP adapter:
 * - text with NUL, other control characters or lone surrogates is refused with BAD_REQUEST naming
 *   the field, in every text field a client can send, and nothing is written (it used to reach
 *   Postgres and come back as a 500 carrying Prisma's error text);
 * - an internal error answers a generic message with a request id, never the cause's text, and
 *   the cause is logged with that id;
 * - validation errors read as `field: problem`, with the issues by field in `data.fieldErrors`.
 */
import { randomUUID } from "node:crypto";
import { parseEnv } from "@parley/config";
import { verifyCredentials } from "@parley/core";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, createCaller } from "../src/root.ts";
import { createContext, setInternalErrorLogger, type TInternalErrorLogger } from "../src/trpc.ts";

let t: TTestDb;
const env = parseEnv({
  DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
  AUTH_SECRET: "test-secret-test-secret-test-secret!",
  PUBLIC_URL: "https://chat.example.test",
  REALTIME_PUBLIC_URL: "wss://rt.example.test",
});

beforeAll(async () => {
  t = await createTestDb({ poolSize: 6 });
});
afterAll(async () => {
  await t?.drop();
});

type ErrorJson = {
  message: string;
  code: number;
  data: {
    code: string;
    httpStatus: number;
    path?: string;
    requestId: string | null;
    stack?: string;
    zodError: { fieldErrors: Record<string, string[] | undefined> } | null;
    fieldErrors: Record<string, string[]> | null;
    fieldIssues: { path: string; message: string; code: string; params: Record<string, unknown> }[] | null;
  };
};

/** One tRPC call over HTTP, as a browser makes it; returns the status and the error (if any). */
async function call(
  procedure: string,
  input: unknown,
  opts: { sessionId?: string; db?: TTestDb["db"]; query?: boolean } = {},
): Promise<{ status: number; error: ErrorJson | null; raw: string }> {
  const payload = JSON.stringify(superjson.serialize(input));
  const url = opts.query
    ? `http://localhost/api/trpc/${procedure}?input=${encodeURIComponent(payload)}`
    : `http://localhost/api/trpc/${procedure}`;
  const res = await fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req: new Request(
      url,
      opts.query
        ? { method: "GET" }
        : { method: "POST", headers: { "content-type": "application/json" }, body: payload },
    ),
    createContext: () => createContext({ db: opts.db ?? t.db, sessionId: opts.sessionId, env }),
  });
  const raw = await res.text();
  const body = JSON.parse(raw) as { error?: { json: ErrorJson } };
  return { status: res.status, error: body.error?.json ?? null, raw };
}

const password = "correct horse battery";
const NUL = "a\u0000b";
const BAD_TEXT: [string, string][] = [
  ["NUL", NUL],
  ["lone high surrogate", "x\ud800y"],
  ["lone low surrogate", "\udc00"],
  ["escape (C0)", "red\u001b[31m"],
];

/** Everything a refused call might have written. */
async function fingerprint() {
  const [workspace, users, conversations, events, messages, tokens, attachments, invites, reactions] =
    await Promise.all([
      t.db.workspace.findMany({
        select: { name: true, blockedUploadTypes: true, broadcastPolicy: true, broadcastThreshold: true },
      }),
      t.db.user.findMany({ select: { name: true, email: true, statusEmoji: true, statusText: true } }),
      t.db.conversation.findMany({ select: { name: true, topic: true, lastSeq: true } }),
      t.db.event.count(),
      t.db.message.findMany({ select: { body: true } }),
      t.db.personalAccessToken.count(),
      t.db.attachment.count(),
      t.db.invite.count(),
      t.db.reaction.count(),
    ]);
  return { workspace, users, conversations, events, messages, tokens, attachments, invites, reactions };
}

function expectFieldRefused(result: Awaited<ReturnType<typeof call>>, field: string, label: string) {
  expect(result.status, `${label}: ${result.raw}`).toBe(400);
  expect(result.error?.data.code, label).toBe("BAD_REQUEST");
  expect(result.error?.data.fieldErrors?.[field]?.length, `${label}: ${result.raw}`).toBeGreaterThan(0);
  expect(result.error?.message, label).toContain(`${field}: `);
  expect(result.error?.message, label).not.toMatch(/prisma|postgres|22P0|22021|invalid byte sequence/i);
}

let ownerSession: string;
let channelId: string;
let messageId: string;

describe("text at the boundary", () => {
  it("refuses bad text in workspace.setup and sets nothing up", async () => {
    const ok = { workspaceName: "Acme", name: "Ada", email: "ada@acme.test", password };
    for (const [label, bad] of BAD_TEXT) {
      for (const field of ["workspaceName", "name", "email", "password"] as const) {
        const res = await call("workspace.setup", { ...ok, [field]: bad });
        expectFieldRefused(res, field, `setup.${field} with ${label}`);
      }
    }
    expect(await t.db.workspace.count()).toBe(0);
    expect(await t.db.user.count()).toBe(0);

    expect((await call("workspace.setup", ok)).status).toBe(200);
    const signedIn = await verifyCredentials(t.db, { email: ok.email, password, userAgent: "vitest" });
    ownerSession = signedIn!.sessionId;
    const caller = createCaller(await createContext({ db: t.db, sessionId: ownerSession, env }));
    channelId = (await caller.conversations.create({ name: "hello-world", topic: "hello" })).id;
    messageId = (
      await caller.messages.send({ conversationId: channelId, clientMsgId: randomUUID(), body: "first 😀" })
    ).message.id;
  });

  it("refuses NUL, lone surrogates and control characters in every other text field, writing nothing", async () => {
    const caller = createCaller(await createContext({ db: t.db, sessionId: ownerSession, env }));
    const invite = await caller.auth.createInvite();
    const before = await fingerprint();
    const cases: [procedure: string, field: string, input: (bad: string) => Record<string, unknown>][] = [
      [
        "messages.send",
        "body",
        (bad) => ({ conversationId: channelId, clientMsgId: randomUUID(), body: bad }),
      ],
      ["messages.edit", "body", (bad) => ({ messageId, body: bad })],
      ["messages.react", "emoji", (bad) => ({ messageId, emoji: bad })],
      ["conversations.create", "name", (bad) => ({ name: bad })],
      ["conversations.create", "topic", (bad) => ({ name: "other", topic: bad })],
      ["conversations.rename", "name", (bad) => ({ conversationId: channelId, name: bad })],
      ["conversations.setTopic", "topic", (bad) => ({ conversationId: channelId, topic: bad })],
      ["users.setStatus", "text", (bad) => ({ emoji: "", text: bad })],
      ["users.setStatus", "emoji", (bad) => ({ emoji: bad, text: "" })],
      ["tokens.create", "name", (bad) => ({ name: bad })],
      ["workspace.update", "name", (bad) => ({ name: bad })],
      ["workspace.setUploadLimits", "blockedTypes.0", (bad) => ({ blockedTypes: [bad] })],
      [
        "files.createUpload",
        "name",
        (bad) => ({ conversationId: channelId, name: bad, size: 10, mime: "text/plain" }),
      ],
      [
        "files.createUpload",
        "mime",
        (bad) => ({ conversationId: channelId, name: "a.txt", size: 10, mime: `text/${bad}` }),
      ],
    ];
    for (const [label, bad] of BAD_TEXT) {
      for (const [procedure, field, input] of cases) {
        const res = await call(procedure, input(bad), { sessionId: ownerSession });
        expectFieldRefused(res, field, `${procedure} ${field} with ${label}`);
      }
      // Sign-up (anonymous, with an invite).
      const signUp = { name: "Bob", email: "bob@acme.test", password, inviteToken: invite.token };
      for (const field of ["name", "email", "password", "inviteToken"] as const) {
        const res = await call("auth.signUp", { ...signUp, [field]: bad });
        expectFieldRefused(res, field, `auth.signUp ${field} with ${label}`);
      }
    }
    expect(await fingerprint()).toEqual(before);
  });

  it("refuses line breaks in one-line fields but keeps them in message bodies", async () => {
    for (const [procedure, field, input] of [
      ["conversations.setTopic", "topic", { conversationId: channelId, topic: "one\ntwo" }],
      ["users.setStatus", "text", { emoji: "", text: "out\r\nlunch" }],
      ["tokens.create", "name", { name: "ci\u2028bot" }],
    ] as const) {
      expectFieldRefused(await call(procedure, input, { sessionId: ownerSession }), field, procedure);
    }
    const sent = await call(
      "messages.send",
      { conversationId: channelId, clientMsgId: randomUUID(), body: "two\nlines\twith 👨‍👩‍👧 and 𝔘" },
      { sessionId: ownerSession },
    );
    expect(sent.status, sent.raw).toBe(200);
    const caller = createCaller(await createContext({ db: t.db, sessionId: ownerSession, env }));
    await caller.users.setStatus({ emoji: "🌴", text: "away\tback monday 🏝️" });
    expect(await caller.users.me()).toMatchObject({ statusEmoji: "🌴", statusText: "away\tback monday 🏝️" });
  });
});

describe("errors clients see", () => {
  it("answers validation errors with a readable message and the issues by field", async () => {
    const res = await call(
      "conversations.create",
      { name: "Has Space", topic: "x".repeat(251) },
      { sessionId: ownerSession },
    );
    expect(res.status).toBe(400);
    expect(res.error?.message).toBe(
      "Invalid input: name: channel names use only lower-case letters, digits, - and _; topic: topic is at most 250 characters",
    );
    expect(res.error?.data.fieldErrors).toEqual({
      name: ["channel names use only lower-case letters, digits, - and _"],
      topic: ["topic is at most 250 characters"],
    });
    expect(res.error?.data.zodError?.fieldErrors.name).toHaveLength(1);
    expect(res.error?.data.requestId).toBeNull();
    // For translation: each issue's code and limits, the schema's message as its catalog key.
    expect(res.error?.data.fieldIssues).toEqual([
      {
        path: "name",
        message: "channel names use only lower-case letters, digits, - and _",
        code: "invalid_format",
        params: { format: "regex" },
      },
      {
        path: "topic",
        message: "topic is at most 250 characters",
        code: "too_big",
        params: { origin: "string", maximum: 250, inclusive: true },
      },
    ]);

    // Nested paths are dotted; an issue about the whole input has no prefix and the key "".
    const nested = await call(
      "conversations.addMembers",
      { conversationId: channelId, userIds: ["nope"] },
      { sessionId: ownerSession },
    );
    expect(nested.error?.message).toBe("Invalid input: userIds.0: must be a UUID");
    expect(nested.error?.data.fieldErrors).toEqual({ "userIds.0": ["must be a UUID"] });
    const whole = await call("workspace.setUploadLimits", {}, { sessionId: ownerSession });
    expect(whole.error?.message).toBe("Invalid input: Give maxUploadBytes, blockedTypes or both");
    expect(whole.error?.data.fieldErrors).toEqual({ "": ["Give maxUploadBytes, blockedTypes or both"] });

    // Server-side callers (server components, route handlers) get the same readable message.
    const caller = createCaller(await createContext({ db: t.db, sessionId: ownerSession, env }));
    const err = await caller.conversations.create({ name: "Has Space" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).message).toBe(
      "Invalid input: name: channel names use only lower-case letters, digits, - and _",
    );
  });

  it("answers an internal error with a generic message and a request id, and logs the cause under that id", async () => {
    // A real failure inside a procedure: a database whose Workspace table is gone.
    const broken = await createTestDb({ poolSize: 2 });
    const logged: Parameters<TInternalErrorLogger>[0][] = [];
    setInternalErrorLogger((entry) => logged.push(entry));
    try {
      await broken.db.$executeRawUnsafe(`DROP TABLE "Workspace" CASCADE`);
      const res = await call("workspace.status", undefined, { db: broken.db, query: true });
      expect(res.status).toBe(500);
      expect(res.error?.data.code).toBe("INTERNAL_SERVER_ERROR");
      const requestId = res.error?.data.requestId;
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.error?.message).toBe(
        `Something went wrong on the server. Try again; if it keeps happening, tell your administrator the request id ${requestId}.`,
      );
      expect(res.error?.data.stack).toBeUndefined();
      expect(res.raw).not.toMatch(/prisma|postgres|workspace.*exist|table|P20\d\d|SELECT|at .*\.ts/i);

      expect(logged).toHaveLength(1);
      expect(logged[0]?.requestId).toBe(requestId);
      expect(logged[0]?.path).toBe("workspace.status");
      expect(String(logged[0]?.error)).toMatch(/Workspace/);
    } finally {
      setInternalErrorLogger();
      await broken.drop();
    }
  });
});
