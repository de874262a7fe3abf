/**
 * Issue 15, the limits of the hooks, timed and counted against local HTTP servers on port 0:
 * - a slash command's callback that keeps failing is retried with exponential backoff — the
 *   receiver records when each attempt arrives, and the waits between them double (base, 2×, 4×,
 *   within a tolerance for a busy box) — then the caller is told;
 * - an incoming webhook over its budget answers 429 `rate_limited` with Retry-After, through the
 *   real `@slack/webhook` client too, and posts nothing; another hook has its own budget.
 * The rest of the hooks' behaviour: hooks.integration.test.ts.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AuthRateLimiter,
  authLimitsFrom,
  configureSlashCommands,
  createChannel,
  RateLimitedError,
  sendOrRunCommand,
  settleSlashCommands,
} from "@parley/core";
import { UserEventKind } from "@parley/protocol";
import { IncomingWebhook } from "@slack/webhook";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIncomingWebhookHandler } from "../src/slack/index.ts";
import { signedInCaller, TEST_ENV, useApiTestDb } from "./helpers.ts";
import { serve } from "./slack-serve.ts";

const { db } = useApiTestDb("Hook Limits", 4);

const servers: Server[] = [];
let owner: Awaited<ReturnType<typeof signedInCaller>>;
let member: Awaited<ReturnType<typeof signedInCaller>>;
let channelId = "";
let botId = "";

beforeAll(async () => {
  owner = await signedInCaller(db(), "owner");
  member = await signedInCaller(db(), "member");
  channelId = (await createChannel(db(), owner.actor, { name: "limits", memberIds: [member.actor.userId] }))
    .id;
  botId = (await owner.caller.bots.create({ name: "Limits Bot" })).id;
});
afterAll(async () => {
  await settleSlashCommands();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe("slash command retries", () => {
  it("waits base, 2× base, 4× base between attempts (arrival times at the receiver), then tells the caller", async () => {
    const arrivals: number[] = [];
    const receiver = createServer((req, res) => {
      arrivals.push(performance.now());
      req.resume();
      req.on("end", () => res.writeHead(503).end());
    });
    servers.push(receiver);
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const { port } = receiver.address() as AddressInfo;
    await owner.caller.commands.create({
      command: "/flaky",
      callbackUrl: `http://127.0.0.1:${port}/slash`,
      botId,
    });
    // After the callers' contexts configured core from TEST_ENV: loopback allowed, delays long
    // enough to tell 250 ms from 500 ms from 1 s on a busy box.
    const base = 250;
    configureSlashCommands({ allowHosts: ["127.0.0.1"], timeoutMs: 1_500, retries: 3, baseDelayMs: base });
    try {
      await sendOrRunCommand(db(), member.actor, {
        conversationId: channelId,
        clientMsgId: crypto.randomUUID(),
        body: "/flaky now",
      });
      await settleSlashCommands();
    } finally {
      // Back to the defaults and TEST_ENV's hosts (files share a worker's modules).
      configureSlashCommands({
        allowHosts: TEST_ENV.SLASH_COMMAND_ALLOW_HOSTS,
        timeoutMs: 3_000,
        retries: 2,
        baseDelayMs: 500,
      });
    }
    expect(arrivals).toHaveLength(4); // 1 + retries (3)
    const gaps = arrivals.slice(1).map((at, i) => at - (arrivals[i] as number));
    const expected = [base, 2 * base, 4 * base];
    // A gap is the 503's round trip plus the wait: never shorter than the wait (timers do not fire
    // early, bar rounding), and on this shared 2-core box within 350 ms of it — a window narrower
    // than the step from one wait to the next, so a constant or linear backoff fails.
    gaps.forEach((gap, i) => {
      const want = expected[i] as number;
      expect(gap, `wait ${i + 1}: ${gaps.map((g) => g.toFixed(0)).join(", ")} ms`).toBeGreaterThanOrEqual(
        want - 2,
      );
      expect(gap, `wait ${i + 1}: ${gaps.map((g) => g.toFixed(0)).join(", ")} ms`).toBeLessThan(want + 350);
    });
    const [first, second, third] = gaps as [number, number, number];
    expect(third - second).toBeGreaterThan(second - first);
    const told = await db().userEvent.findFirstOrThrow({
      where: { userId: member.actor.userId, kind: UserEventKind.EphemeralMessage },
      orderBy: { seq: "desc" },
    });
    expect(told.payload).toMatchObject({ body: "/flaky failed: the app answered HTTP 503." });
  });
});

describe("incoming webhook rate limit", () => {
  it("answers 429 rate_limited with Retry-After past the hook's budget and posts nothing", async () => {
    const limiter = new AuthRateLimiter({ limits: { ...authLimitsFrom(TEST_ENV), apiCallsPerMinute: 2 } });
    const { server, base } = await serve(
      createIncomingWebhookHandler({ db: db(), env: TEST_ENV, rateLimiter: limiter }),
    );
    servers.push(server);
    const origin = new URL(base).origin;
    const hookUrl = async (name: string) => {
      const made = await owner.caller.hooks.create({ name, conversationId: channelId, botId });
      return `${origin}${made.path}`;
    };
    const url = await hookUrl("budget");
    const webhook = new IncomingWebhook(url);
    await webhook.send({ text: "one" });
    await webhook.send({ text: "two" });
    const count = await db().message.count({ where: { conversationId: channelId } });

    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "three" }),
    });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60); // the budget is per minute
    expect(await res.text()).toBe("rate_limited");
    // Slack's own client sees the 429 as a failure (and, unlike a 5xx, does not retry it).
    const err = await webhook.send({ text: "four" }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "slack_webhook_http_error", statusCode: 429, body: "rate_limited" });
    expect(await db().message.count({ where: { conversationId: channelId } })).toBe(count);
    expect(
      await db().message.count({ where: { conversationId: channelId, body: { in: ["three", "four"] } } }),
    ).toBe(0);

    // The budget is the hook's: another hook to the same channel still posts.
    const other = new IncomingWebhook(await hookUrl("other"));
    expect((await other.send({ text: "from the other hook" })).text).toBe("ok");
    expect(await db().message.count({ where: { conversationId: channelId } })).toBe(count + 1);
  });

  it("says in Retry-After how long the limiter asks to wait, not a fixed minute", async () => {
    // A limiter that has 7 s left in its window (what RateLimiterMemory/Redis report as msBeforeNext).
    const sevenSecondsLeft = {
      beginApiCall: async () => {
        throw new RateLimitedError(7);
      },
    } as unknown as AuthRateLimiter;
    const { server, base } = await serve(
      createIncomingWebhookHandler({ db: db(), env: TEST_ENV, rateLimiter: sevenSecondsLeft }),
    );
    servers.push(server);
    const made = await owner.caller.hooks.create({ name: "seven", conversationId: channelId, botId });
    const count = await db().message.count({ where: { conversationId: channelId } });
    const res = await fetch(`${new URL(base).origin}${made.path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "over budget" }),
    });
    expect([res.status, res.headers.get("retry-after"), await res.text()]).toEqual([
      429,
      "7",
      "rate_limited",
    ]);
    expect(await db().message.count({ where: { conversationId: channelId } })).toBe(count);
  });
});
