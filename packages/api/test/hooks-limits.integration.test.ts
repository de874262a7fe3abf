/**
 * Issue 15, the limits of the hooks, timed and counted against local HTTP servers on port 0:
 * - a slash command's callback that keeps failing is retried with exponential backoff — the
 *   receiver records when each attempt arrives, and the waits between them double (base, 2×, 4×,
 *   within a tolerance for a busy box) — then the caller is told.
 * The rest of the hooks' behaviour: hooks.integration.test.ts.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { configureSlashCommands, createChannel, sendOrRunCommand, settleSlashCommands } from "@parley/core";
import { UserEventKind } from "@parley/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedInCaller, TEST_ENV, useApiTestDb } from "./helpers.ts";

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
