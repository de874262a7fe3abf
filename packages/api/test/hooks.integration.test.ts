/**
 * Issue 15: incoming webhooks and slash commands end to end against real Postgres/Redis, with
 * local HTTP servers on port 0. The pinned `@slack/webhook` IncomingWebhook posts to the hook
 * handler the web app mounts (on a plain node:http server here) and the message lands through the
 * send path (an Event log row with its seq); bad payloads and revoked hooks are refused with
 * Slack's strings and nothing written. A registered `/deploy` on the send path (the function the
 * gateway's `send` calls) reaches a receiver signed with Slack's scheme (verified here with the
 * same HMAC), and the answers land: ephemeral only in the caller's user log, in_channel as the
 * bot's message, delayed ones through response_url; timeouts and retries are bounded.
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  archiveConversation,
  configureSlashCommands,
  createChannel,
  messageTs,
  sendOrRunCommand,
  settleSlashCommands,
} from "@parley/core";
import { EventKind, UserEventKind } from "@parley/protocol";
import { IncomingWebhook } from "@slack/webhook";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIncomingWebhookHandler, createResponseUrlHandler } from "../src/slack/index.ts";
import { expectCode, signedInCaller, TEST_ENV, useApiTestDb } from "./helpers.ts";

const { db } = useApiTestDb("Hooks Corp", 6);

type THandler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A node:http server on port 0 calling `handle` with the buffered body. */
function listen(handle: THandler): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, Buffer.concat(chunks).toString("utf8"), res));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

/** Mounts a fetch-style handler on node:http. */
function serveFetch(
  handler: (req: Request) => Promise<Response>,
): Promise<{ server: Server; origin: string }> {
  return listen((req, body, res) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    handler(new Request(`http://127.0.0.1${req.url ?? "/"}`, { method: req.method ?? "POST", headers, body }))
      .then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(await response.text());
      })
      .catch((err: unknown) => {
        res.writeHead(500);
        res.end(String(err));
      });
  });
}

/** What the slash-command receiver got. */
type TReceived = { headers: IncomingMessage["headers"]; body: string; form: URLSearchParams };
const received: TReceived[] = [];
/** How the receiver answers the next requests (first in, first out); default 200 with no body. */
const answers: ((res: ServerResponse) => void)[] = [];
const servers: Server[] = [];

let w: Awaited<ReturnType<typeof seed>>;
let hooksOrigin = "";
let receiverOrigin = "";

async function seed() {
  const owner = await signedInCaller(db(), "owner");
  const member = await signedInCaller(db(), "member");
  const other = await signedInCaller(db(), "member");
  const channel = await createChannel(db(), owner.actor, {
    name: "alerts",
    memberIds: [member.actor.userId, other.actor.userId],
  });
  const bot = await owner.caller.bots.create({ name: "Alert Bot" });
  return { owner, member, other, channel, bot };
}

beforeAll(async () => {
  w = await seed();
  const hooks = createIncomingWebhookHandler({ db: db(), env: TEST_ENV });
  const responses = createResponseUrlHandler({ db: db(), env: TEST_ENV });
  const web = await serveFetch((req) =>
    new URL(req.url).pathname.startsWith("/api/commands/responses/") ? responses(req) : hooks(req),
  );
  const receiver = await listen((req, body, res) => {
    received.push({ headers: req.headers, body, form: new URLSearchParams(body) });
    const answer = answers.shift();
    if (answer) answer(res);
    else res.writeHead(200).end();
  });
  servers.push(web.server, receiver.server);
  hooksOrigin = web.origin;
  receiverOrigin = receiver.origin;
  // After the callers' contexts configured core from TEST_ENV: the receiver is on loopback.
  configureSlashCommands({
    publicUrl: web.origin,
    allowHosts: ["127.0.0.1"],
    timeoutMs: 1_500,
    retries: 2,
    baseDelayMs: 20,
  });
});
afterAll(async () => {
  await settleSlashCommands();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

const messagesIn = (conversationId: string) =>
  db().event.findMany({ where: { conversationId, kind: EventKind.MessageCreated }, orderBy: { seq: "asc" } });
const ephemeralsOf = (userId: string) =>
  db().userEvent.findMany({
    where: { userId, kind: UserEventKind.EphemeralMessage },
    orderBy: { seq: "asc" },
  });

async function newHook(name = "ci") {
  const made = await w.owner.caller.hooks.create({ name, conversationId: w.channel.id, botId: w.bot.id });
  return { ...made, url: `${hooksOrigin}${made.path}` };
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

describe("incoming webhooks", () => {
  it("IncomingWebhook posts through the send path as the bot: an Event log row with its seq, mrkdwn converted", async () => {
    const hook = await newHook();
    expect(hook.path).toBe(`/api/hooks/${hook.id}/${hook.secret}`);
    const stored = await db().incomingWebhook.findUniqueOrThrow({ where: { id: hook.id } });
    expect(stored.secretHash).not.toContain(hook.secret); // hashed at rest
    const before = await messagesIn(w.channel.id);

    const res = await new IncomingWebhook(hook.url).send({
      text: "*deployed* <https://x.test|v2>",
      username: "Ignored",
    });
    expect(res.text).toBe("ok");

    const after = await messagesIn(w.channel.id);
    expect(after).toHaveLength(before.length + 1);
    const event = after.at(-1);
    expect(event?.actorId).toBe(w.bot.id);
    expect(event?.seq).toBeGreaterThan(before.at(-1)?.seq ?? 0);
    const message = await db().message.findFirstOrThrow({
      where: { conversationId: w.channel.id, seq: event?.seq },
    });
    expect(message).toMatchObject({ senderId: w.bot.id, body: "**deployed** [v2](https://x.test)" });
    const listed = (await w.owner.caller.hooks.list()).find((h) => h.id === hook.id);
    expect(listed?.lastUsedAt).toBeInstanceOf(Date);
    expect(listed).toMatchObject({ channel: { id: w.channel.id }, bot: { id: w.bot.id }, revokedAt: null });
  });

  it("blocks become the body, thread_ts replies in a thread, and an Idempotency-Key makes a resend a no-op", async () => {
    const hook = await newHook("threads");
    const webhook = new IncomingWebhook(hook.url);
    await webhook.send({ text: "root" });
    const root = await db().message.findFirstOrThrow({
      where: { conversationId: w.channel.id, body: "root" },
      orderBy: { seq: "desc" },
    });
    // thread_ts is in Slack's payload but not in @slack/webhook's types: posted as raw JSON.
    const threaded = await post(
      hook.url,
      JSON.stringify({
        thread_ts: messageTs(root.createdAt, root.seq),
        blocks: [{ type: "section", text: { type: "mrkdwn", text: "in *thread*" } }],
      }),
    );
    expect([threaded.status, await threaded.text()]).toEqual([200, "ok"]);
    const reply = await db().message.findFirstOrThrow({ where: { threadRootId: root.id } });
    expect(reply.body).toBe("in **thread**");

    const count = (await messagesIn(w.channel.id)).length;
    const once = await post(hook.url, JSON.stringify({ text: "once" }), { "idempotency-key": "k-1" });
    const again = await post(hook.url, JSON.stringify({ text: "once" }), { "idempotency-key": "k-1" });
    expect([once.status, await once.text(), again.status, await again.text()]).toEqual([
      200,
      "ok",
      200,
      "ok",
    ]);
    const plain1 = await post(hook.url, JSON.stringify({ text: "each" }));
    const plain2 = await post(hook.url, JSON.stringify({ text: "each" }));
    expect([plain1.status, plain2.status]).toEqual([200, 200]);
    expect(await messagesIn(w.channel.id)).toHaveLength(count + 3); // once + each + each
  });

  it("refuses bad payloads, wrong secrets, revoked hooks and archived channels with Slack's strings and writes nothing", async () => {
    const hook = await newHook("refusals");
    const count = (await messagesIn(w.channel.id)).length;
    const cases: [string, string, number, string][] = [
      [hook.url, "not json", 400, "invalid_payload"],
      [hook.url, JSON.stringify([1]), 400, "invalid_payload"],
      [hook.url, JSON.stringify({ text: 5 }), 400, "invalid_payload"],
      [hook.url, JSON.stringify({ text: "   " }), 400, "no_text"],
      [hook.url, JSON.stringify({ blocks: [{ type: "divider" }], text: "" }), 200, "ok"],
      [`${hooksOrigin}/api/hooks/${hook.id}/wrong`, JSON.stringify({ text: "x" }), 404, "no_service"],
      [
        `${hooksOrigin}/api/hooks/not-a-uuid/${hook.secret}`,
        JSON.stringify({ text: "x" }),
        404,
        "no_service",
      ],
    ];
    for (const [url, body, status, text] of cases) {
      const res = await post(url, body);
      expect([res.status, await res.text()], body).toEqual([status, text]);
    }
    expect(await messagesIn(w.channel.id)).toHaveLength(count + 1); // only the divider ("---")

    await w.owner.caller.hooks.revoke({ id: hook.id });
    const revoked = await post(hook.url, JSON.stringify({ text: "after revoke" }));
    expect([revoked.status, await revoked.text()]).toEqual([404, "no_service"]);
    await expect(new IncomingWebhook(hook.url).send({ text: "sdk after revoke" })).rejects.toThrow();
    await expectCode(w.owner.caller.hooks.revoke({ id: hook.id }), "NOT_FOUND");

    const archived = await createChannel(db(), w.owner.actor, { name: "old-alerts" });
    const old = await w.owner.caller.hooks.create({
      name: "old",
      conversationId: archived.id,
      botId: w.bot.id,
    });
    await archiveConversation(db(), w.owner.actor, { conversationId: archived.id });
    const gone = await post(`${hooksOrigin}${old.path}`, JSON.stringify({ text: "x" }));
    expect([gone.status, await gone.text()]).toEqual([410, "channel_is_archived"]);
    expect(await messagesIn(archived.id)).toHaveLength(0);
    expect(await messagesIn(w.channel.id)).toHaveLength(count + 1);
  });

  it("only admins manage hooks, and making and revoking are audited", async () => {
    await expectCode(w.member.caller.hooks.list(), "FORBIDDEN");
    await expectCode(
      w.member.caller.hooks.create({ name: "x", conversationId: w.channel.id, botId: w.bot.id }),
      "FORBIDDEN",
    );
    const audits = await db().auditEntry.findMany({
      where: { action: { in: ["hook.created", "hook.revoked"] } },
    });
    expect(audits.some((a) => a.action === "hook.created")).toBe(true);
    expect(audits.some((a) => a.action === "hook.revoked")).toBe(true);
    expect(JSON.stringify(audits)).not.toMatch(/secret/i);
  });
});

/** Sends `body` as the member through the send path the gateway uses. */
const send = (body: string, userId = w.member.actor.userId) =>
  sendOrRunCommand(
    db(),
    { userId, role: "member" },
    {
      conversationId: w.channel.id,
      clientMsgId: crypto.randomUUID(),
      body,
    },
  );

describe("slash commands", () => {
  let secret = "";

  beforeAll(async () => {
    const made = await w.owner.caller.commands.create({
      command: "/Deploy",
      callbackUrl: `${receiverOrigin}/slash`,
      botId: w.bot.id,
    });
    expect(made.command).toBe("deploy");
    secret = made.signingSecret;
  });

  it("a registered /deploy is not stored: the receiver gets Slack's form, signed, and an ephemeral answer reaches only the caller", async () => {
    const count = (await messagesIn(w.channel.id)).length;
    received.length = 0;
    answers.push((res) =>
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ text: "Deploying *web* now" })),
    );
    const result = await send("/deploy web  now");
    expect(result).toMatchObject({ command: "deploy" });
    expect(result.message).toBeUndefined();
    await settleSlashCommands();

    expect(received).toHaveLength(1);
    const got = received[0] as TReceived;
    const ts = String(got.headers["x-slack-request-timestamp"]);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    const expected = `v0=${createHmac("sha256", secret).update(`v0:${ts}:${got.body}`).digest("hex")}`;
    expect(got.headers["x-slack-signature"]).toBe(expected);
    expect(Object.fromEntries(got.form)).toMatchObject({
      channel_id: w.channel.id,
      channel_name: "alerts",
      user_id: w.member.actor.userId,
      command: "/deploy",
      text: "web  now",
    });
    expect(got.form.has("token")).toBe(false);
    expect(got.form.get("trigger_id")).toBeTruthy();
    expect(got.form.get("response_url")).toMatch(/\/api\/commands\/responses\//);

    expect(await messagesIn(w.channel.id)).toHaveLength(count); // nothing stored in the channel
    const mine = await ephemeralsOf(w.member.actor.userId);
    expect(mine.at(-1)?.payload).toMatchObject({
      conversationId: w.channel.id,
      senderId: w.bot.id,
      senderName: "Alert Bot",
      body: "Deploying **web** now",
      command: "deploy",
    });
    expect(await ephemeralsOf(w.other.actor.userId)).toHaveLength(0);
  });

  it("an in_channel answer is a normal message from the command's bot", async () => {
    const count = (await messagesIn(w.channel.id)).length;
    answers.push((res) =>
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ response_type: "in_channel", text: "Deployed v3" })),
    );
    await send("/deploy v3");
    await settleSlashCommands();
    const after = await messagesIn(w.channel.id);
    expect(after).toHaveLength(count + 1);
    expect(after.at(-1)?.actorId).toBe(w.bot.id);
  });

  it("a resend of the same send (same clientMsgId) runs the command once; another user's same id runs it", async () => {
    received.length = 0;
    const resend = {
      conversationId: w.channel.id,
      clientMsgId: crypto.randomUUID(),
      body: "/deploy once",
    };
    const first = await sendOrRunCommand(db(), { userId: w.member.actor.userId, role: "member" }, resend);
    // The SDK resends an unacked send after a reconnect, with the same clientMsgId.
    const again = await sendOrRunCommand(db(), { userId: w.member.actor.userId, role: "member" }, resend);
    await settleSlashCommands();
    expect(first).toMatchObject({ command: "deploy", duplicate: false });
    expect(again).toMatchObject({ command: "deploy", duplicate: true });
    expect(received).toHaveLength(1);
    expect(
      await db().slashResponse.count({
        where: { userId: w.member.actor.userId, clientMsgId: resend.clientMsgId },
      }),
    ).toBe(1);

    // The key is (user, clientMsgId): the same id from someone else is their own send.
    const other = await sendOrRunCommand(db(), { userId: w.other.actor.userId, role: "member" }, resend);
    await settleSlashCommands();
    expect(other).toMatchObject({ duplicate: false });
    expect(received).toHaveLength(2);
  });

  it("`//deploy` and unregistered `/words` are sent as text", async () => {
    received.length = 0;
    const escaped = await send("//deploy now");
    const unknown = await send("/shrug ok");
    await settleSlashCommands();
    expect(received).toHaveLength(0);
    expect(escaped.message && "body" in escaped.message ? escaped.message.body : "").toBe("/deploy now");
    expect(unknown.message && "body" in unknown.message ? unknown.message.body : "").toBe("/shrug ok");
  });

  it("retries a 5xx and a timeout with backoff, a bounded number of times, then tells the caller", async () => {
    received.length = 0;
    answers.push((res) => res.writeHead(503).end());
    answers.push(() => {}); // never answers: the 1.5 s timeout
    answers.push((res) => res.writeHead(200, { "content-type": "text/plain" }).end("third time lucky"));
    await send("/deploy flaky");
    await settleSlashCommands();
    expect(received).toHaveLength(3);
    expect(received.map((r) => r.headers["x-slack-retry-num"])).toEqual([undefined, "1", "2"]);
    expect((await ephemeralsOf(w.member.actor.userId)).at(-1)?.payload).toMatchObject({
      body: "third time lucky",
    });

    received.length = 0;
    for (let i = 0; i < 5; i++) answers.push((res) => res.writeHead(500).end());
    const started = Date.now();
    await send("/deploy broken");
    await settleSlashCommands();
    expect(received).toHaveLength(3); // 1 + retries (2), never more
    expect(Date.now() - started).toBeLessThan(5_000);
    answers.length = 0;
    expect((await ephemeralsOf(w.member.actor.userId)).at(-1)?.payload).toMatchObject({
      body: "/deploy failed: the app answered HTTP 500.",
    });
  });

  it("response_url takes delayed answers (ephemeral or in_channel) up to 5 times; bad payloads are refused without using it", async () => {
    received.length = 0;
    await send("/deploy later");
    await settleSlashCommands();
    const url = (received[0] as TReceived).form.get("response_url") ?? "";
    const count = (await messagesIn(w.channel.id)).length;

    const bad = await post(url, "nope");
    expect([bad.status, await bad.text()]).toEqual([400, "invalid_payload"]);
    const late = await post(url, JSON.stringify({ text: "done (only you)" }));
    expect([late.status, await late.text()]).toEqual([200, "ok"]);
    expect((await ephemeralsOf(w.member.actor.userId)).at(-1)?.payload).toMatchObject({
      body: "done (only you)",
    });
    const shared = await post(url, JSON.stringify({ response_type: "in_channel", text: "done (everyone)" }));
    expect(shared.status).toBe(200);
    expect(await messagesIn(w.channel.id)).toHaveLength(count + 1);
    for (let i = 0; i < 3; i++) expect((await post(url, JSON.stringify({ text: `n${i}` }))).status).toBe(200);
    const sixth = await post(url, JSON.stringify({ text: "too many" }));
    expect([sixth.status, await sixth.text()]).toEqual([410, "used_url"]);

    const wrong = await post(url.replace(/\/[^/]+$/, "/wrong"), JSON.stringify({ text: "x" }));
    expect([wrong.status, await wrong.text()]).toEqual([404, "no_service"]);
    await db().slashResponse.updateMany({ data: { uses: 0, expiresAt: new Date(Date.now() - 1000) } });
    const expired = await post(url, JSON.stringify({ text: "too late" }));
    expect([expired.status, await expired.text()]).toEqual([410, "expired_url"]);
  });

  it("refuses callbacks to internal addresses unless allow-listed, and only admins register commands", async () => {
    configureSlashCommands({ allowHosts: [] });
    try {
      received.length = 0;
      await send("/deploy internal");
      await settleSlashCommands();
      expect(received).toHaveLength(0);
      expect((await ephemeralsOf(w.member.actor.userId)).at(-1)?.payload).toMatchObject({
        body: "/deploy failed: its address is not allowed.",
      });
    } finally {
      configureSlashCommands({ allowHosts: ["127.0.0.1"] });
    }
    await expectCode(
      w.member.caller.commands.create({ command: "hack", callbackUrl: "https://x.test", botId: w.bot.id }),
      "FORBIDDEN",
    );
    await expectCode(
      w.owner.caller.commands.create({ command: "deploy", callbackUrl: "https://x.test", botId: w.bot.id }),
      "CONFLICT",
    );
    await expectCode(
      w.owner.caller.commands.create({ command: "ftp", callbackUrl: "ftp://x.test", botId: w.bot.id }),
      "BAD_REQUEST",
    );
    expect(JSON.stringify(await w.owner.caller.commands.list())).not.toContain(secret);
  });

  it("making and deleting a command are audited once each (the admin, the bot, the command), never with its secret", async () => {
    const made = await w.owner.caller.commands.create({
      command: "audited",
      callbackUrl: `${receiverOrigin}/audited`,
      botId: w.bot.id,
    });
    await w.owner.caller.commands.delete({ id: made.id });
    await expectCode(w.owner.caller.commands.delete({ id: made.id }), "NOT_FOUND");
    await expectCode(w.member.caller.commands.delete({ id: made.id }), "FORBIDDEN");
    const audits = await db().auditEntry.findMany({
      where: {
        action: { in: ["command.created", "command.deleted"] },
        details: { path: ["commandId"], equals: made.id },
      },
      orderBy: [{ at: "asc" }, { id: "asc" }],
    });
    const expected = { actorId: w.owner.actor.userId, targetType: "bot", targetId: w.bot.id };
    expect(audits.find((a) => a.action === "command.created")).toMatchObject({
      ...expected,
      details: { command: "audited", callbackUrl: `${receiverOrigin}/audited` },
    });
    expect(audits.find((a) => a.action === "command.deleted")).toMatchObject({
      ...expected,
      targetLabel: "/audited",
      details: { command: "audited" },
    });
    expect(audits).toHaveLength(2);
    expect(JSON.stringify(audits)).not.toContain(made.signingSecret);
  });
});
