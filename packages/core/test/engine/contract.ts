/**
 * The Engine contract: one vitest suite every implementation must pass (memory and redis today).
 *
 * `makeEngine` is called once per simulated gateway process; all engines it returns during one
 * run must share one backend (one MemoryHub, one Redis + key prefix), so two of them behave like
 * two gateways on one Redis. Tests use fresh random ids, so the backend need not be emptied
 * between tests; `cleanup` runs once at the end (e.g. delete the run's Redis keys). TTL tests
 * use real time with short TTLs (≈300 ms), so keep the backend on this host.
 *
 * To extend: add an `it` here (never in one implementation's test file only), then run both
 * `engine/memory.test.ts` and `engine/redis.integration.test.ts`.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { TBusMessage, TEngine } from "../../src/engine/types.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` passes or `timeoutMs` runs out (then rethrows its last failure). */
async function eventually(check: () => void | Promise<void>, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(10);
    }
  }
}

/** Time allowed for a message that should NOT arrive to show up anyway. */
const QUIET_MS = 80;

const id = (label: string) => `${label}-${randomUUID()}`;

/** Sorted copy of a gatewaysOf() result, for order-insensitive comparison. */
function normalise(map: Map<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [gatewayId, userIds] of map) out[gatewayId] = [...userIds].sort();
  return out;
}

/** Collects what a subscription receives. */
function collector() {
  const received: TBusMessage[] = [];
  return { received, handler: (message: TBusMessage) => void received.push(message) };
}

/** Registers the Engine contract suite for one implementation. */
export function runEngineContract(
  name: string,
  makeEngine: () => Promise<TEngine>,
  cleanup: () => Promise<void> = async () => {},
): void {
  describe(`Engine contract: ${name}`, () => {
    const open: TEngine[] = [];
    /** A fresh engine = one simulated gateway process on the shared backend. */
    const gateway = async () => {
      const engine = await makeEngine();
      open.push(engine);
      return engine;
    };

    afterEach(async () => {
      await Promise.all(open.splice(0).map((engine) => engine.close().catch(() => {})));
    });
    afterAll(cleanup);

    describe("routing", () => {
      it("finds a route that was added and ignores unknown users", async () => {
        const engine = await gateway();
        const [user, gw] = [id("u"), id("gw")];
        await engine.addRoute(user, gw, 10_000);
        expect(normalise(await engine.gatewaysOf([user, id("nobody")]))).toEqual({ [gw]: [user] });
        expect((await engine.gatewaysOf([])).size).toBe(0);
      });

      it("expires a route after its TTL unless refreshed", async () => {
        const engine = await gateway();
        const [kept, lapsed, gw] = [id("kept"), id("lapsed"), id("gw")];
        await engine.addRoute(kept, gw, 300);
        await engine.addRoute(lapsed, gw, 300);
        await sleep(100);
        await engine.refreshRoutes(gw, [kept], 2_000);
        await sleep(300);
        expect(normalise(await engine.gatewaysOf([kept, lapsed]))).toEqual({ [gw]: [kept] });
      });

      it("removeRoute removes only that gateway's entry", async () => {
        const engine = await gateway();
        const [user, gwA, gwB] = [id("u"), id("gwA"), id("gwB")];
        await engine.addRoute(user, gwA, 10_000);
        await engine.addRoute(user, gwB, 10_000);
        await engine.removeRoute(user, gwA);
        expect(normalise(await engine.gatewaysOf([user]))).toEqual({ [gwB]: [user] });
        await engine.removeRoute(user, gwB);
        await engine.removeRoute(user, gwB); // idempotent
        expect((await engine.gatewaysOf([user])).size).toBe(0);
      });

      it("groups many users by gateway, one user on two gateways included", async () => {
        const [a, b] = [await gateway(), await gateway()];
        const [gwA, gwB, gwC] = [id("gwA"), id("gwB"), id("gwC")];
        const users = Array.from({ length: 300 }, (_, i) => id(`u${i}`));
        const onA = users.filter((_, i) => i % 3 === 0);
        const onB = users.filter((_, i) => i % 3 === 1);
        const onBoth = users.filter((_, i) => i % 10 === 0); // also on gwC
        await a.refreshRoutes(gwA, onA, 10_000);
        await b.refreshRoutes(gwB, onB, 10_000);
        await b.refreshRoutes(gwC, onBoth, 10_000);
        const offline = users.filter((u) => !onA.includes(u) && !onB.includes(u) && !onBoth.includes(u));
        expect(offline.length).toBeGreaterThan(0);
        // Any engine sees the whole table, whichever gateway wrote it.
        const seen = normalise(await a.gatewaysOf([...users, users[0]!]));
        expect(seen).toEqual({ [gwA]: [...onA].sort(), [gwB]: [...onB].sort(), [gwC]: [...onBoth].sort() });
      });

      it("routes one user to both gateways holding their sockets", async () => {
        const [a, b] = [await gateway(), await gateway()];
        const [user, gwA, gwB] = [id("u"), id("gwA"), id("gwB")];
        await a.addRoute(user, gwA, 10_000);
        await b.addRoute(user, gwB, 10_000);
        expect(normalise(await b.gatewaysOf([user]))).toEqual({ [gwA]: [user], [gwB]: [user] });
      });
    });

    describe("pub/sub", () => {
      it("publishToGateway reaches only that gateway's subscriber, exactly once", async () => {
        const [a, b] = [await gateway(), await gateway()];
        const [gwA, gwB] = [id("gwA"), id("gwB")];
        const [inboxA, inboxB] = [collector(), collector()];
        await a.subscribeGateway(gwA, inboxA.handler);
        await b.subscribeGateway(gwB, inboxB.handler);
        const message = { userIds: ["u1", "u2"], frame: JSON.stringify({ type: "event", text: "héllo ✓" }) };
        await a.publishToGateway(gwB, message);
        await eventually(() => expect(inboxB.received).toEqual([message]));
        await sleep(QUIET_MS);
        expect(inboxB.received).toHaveLength(1);
        expect(inboxA.received).toEqual([]);
      });

      it("delivers asynchronously, never inside the publish call", async () => {
        const engine = await gateway();
        const gw = id("gw");
        const inbox = collector();
        await engine.subscribeGateway(gw, inbox.handler);
        const pending = engine.publishToGateway(gw, { frame: "x" });
        expect(inbox.received).toEqual([]);
        await pending;
        await eventually(() => expect(inbox.received).toEqual([{ frame: "x" }]));
      });

      it("delivers a topic to every subscriber and stops after unsubscribe", async () => {
        const [a, b] = [await gateway(), await gateway()];
        const topic = `conv:${id("c")}`;
        const [first, second, other] = [collector(), collector(), collector()];
        const unsubFirst = await a.subscribeTopic(topic, first.handler);
        await a.subscribeTopic(topic, second.handler);
        const unsubOther = await b.subscribeTopic(topic, other.handler);
        await b.publishToTopic(topic, { frame: "1" });
        await eventually(() => {
          for (const sub of [first, second, other]) expect(sub.received).toEqual([{ frame: "1" }]);
        });

        // One of two local handlers leaves: the other one on that engine still gets messages.
        await unsubFirst();
        await unsubOther();
        await a.publishToTopic(topic, { frame: "2" });
        await eventually(() => expect(second.received).toEqual([{ frame: "1" }, { frame: "2" }]));
        await sleep(QUIET_MS);
        expect(first.received).toEqual([{ frame: "1" }]);
        expect(other.received).toEqual([{ frame: "1" }]);
      });

      it("keeps a topic's messages in publish order", async () => {
        const [a, b] = [await gateway(), await gateway()];
        const topic = `conv:${id("c")}`;
        const inbox = collector();
        await b.subscribeTopic(topic, inbox.handler);
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => a.publishToTopic(topic, { frame: String(i) })),
        );
        await eventually(() => expect(inbox.received).toHaveLength(50));
        expect(inbox.received.map((m) => Number(m.frame))).toEqual(Array.from({ length: 50 }, (_, i) => i));
      });

      it("carries a message's header (the envelope) unchanged beside its frame", async () => {
        const [a, b] = [await gateway(), await gateway()];
        const topic = `conv:${id("c")}`;
        const gatewayId = id("gw");
        const onTopic = collector();
        const onInbox = collector();
        await b.subscribeTopic(topic, onTopic.handler);
        await b.subscribeGateway(gatewayId, onInbox.handler);
        const event = {
          type: "event",
          conversationId: "c1",
          seq: 7,
          kind: "message.created",
          at: 1_700_000_000_123,
        } as const;
        const userEvent = {
          type: "user.event",
          seq: 3,
          kind: "conversation.added",
          conversationId: "c2",
        } as const;
        await a.publishToTopic(topic, { frame: "e", header: event });
        await a.publishToGateway(gatewayId, { userIds: ["u1"], frame: "u", header: userEvent });
        await a.publishToGateway(gatewayId, { userIds: ["u1"], frame: "plain" });
        await eventually(() => expect(onTopic.received).toEqual([{ frame: "e", header: event }]));
        await eventually(() =>
          expect(onInbox.received).toEqual([
            { userIds: ["u1"], frame: "u", header: userEvent },
            { userIds: ["u1"], frame: "plain" },
          ]),
        );
      });

      it("re-subscribing after the last unsubscribe works", async () => {
        const engine = await gateway();
        const topic = `presence:${id("u")}`;
        const inbox = collector();
        const unsub = await engine.subscribeTopic(topic, inbox.handler);
        await unsub();
        await engine.subscribeTopic(topic, inbox.handler);
        await engine.publishToTopic(topic, { frame: "again" });
        await eventually(() => expect(inbox.received).toEqual([{ frame: "again" }]));
      });

      it("close() stops delivery to that engine", async () => {
        const [a, b] = [await gateway(), await gateway()];
        const [gw, topic] = [id("gw"), `conv:${id("c")}`];
        const [inbox, topicInbox] = [collector(), collector()];
        await b.subscribeGateway(gw, inbox.handler);
        await b.subscribeTopic(topic, topicInbox.handler);
        await b.close();
        await a.publishToGateway(gw, { frame: "late" });
        await a.publishToTopic(topic, { frame: "late" });
        await sleep(QUIET_MS);
        expect(inbox.received).toEqual([]);
        expect(topicInbox.received).toEqual([]);
        await expect(b.publishToGateway(gw, { frame: "x" })).rejects.toThrow();
      });
    });

    describe("presence", () => {
      it("is offline with no entries", async () => {
        const engine = await gateway();
        const user = id("u");
        expect(await engine.getPresence([user])).toEqual(
          new Map([[user, { status: "offline", statusText: "" }]]),
        );
      });

      it("merges connections: online beats away, statusText is the most recently set", async () => {
        const [a, b] = [await gateway(), await gateway()];
        const [user, other] = [id("u"), id("other")];
        await a.setPresence(user, "c1", { status: "away", statusText: "Lunch" }, 10_000);
        await sleep(5);
        await b.setPresence(user, "c2", { status: "online", statusText: "In a meeting" }, 10_000);
        await a.setPresence(other, "c3", { status: "away", statusText: "" }, 10_000);
        await sleep(5);
        // A heartbeat re-setting c1's unchanged text must not make it the newest.
        await a.setPresence(user, "c1", { status: "away", statusText: "Lunch" }, 10_000);
        expect(await b.getPresence([user, other])).toEqual(
          new Map([
            [user, { status: "online", statusText: "In a meeting" }],
            [other, { status: "away", statusText: "" }],
          ]),
        );
        await sleep(5);
        await a.setPresence(user, "c1", { status: "away", statusText: "Back at 3" }, 10_000);
        expect((await a.getPresence([user])).get(user)).toEqual({
          status: "online",
          statusText: "Back at 3",
        });
        await b.clearPresence(user, "c2");
        expect((await a.getPresence([user])).get(user)).toEqual({ status: "away", statusText: "Back at 3" });
      });

      it("lapses to offline after its TTL unless refreshed", async () => {
        const engine = await gateway();
        const [kept, lapsed] = [id("kept"), id("lapsed")];
        await engine.setPresence(kept, "c1", { status: "online", statusText: "" }, 300);
        await engine.setPresence(lapsed, "c1", { status: "online", statusText: "brb" }, 300);
        await engine.setPresence(lapsed, "c2", { status: "away", statusText: "" }, 300);
        await sleep(100);
        await engine.setPresence(kept, "c1", { status: "online", statusText: "" }, 2_000);
        await sleep(300);
        expect(await engine.getPresence([kept, lapsed])).toEqual(
          new Map([
            [kept, { status: "online", statusText: "" }],
            [lapsed, { status: "offline", statusText: "" }],
          ]),
        );
      });

      it("refreshPresence writes many connections at once, exactly as setPresence would", async () => {
        const [a, b] = [await gateway(), await gateway()];
        const [u1, u2, gone] = [id("u1"), id("u2"), id("gone")];
        await a.setPresence(gone, "c9", { status: "online", statusText: "" }, 10_000);
        await a.setPresence(u1, "c1", { status: "online", statusText: "Lunch" }, 10_000);
        await sleep(5);
        await a.refreshPresence(
          [
            // Unchanged text: must not become the newest (as for setPresence).
            { userId: u1, connectionId: "c1", presence: { status: "online", statusText: "Lunch" } },
            { userId: u1, connectionId: "c2", presence: { status: "away", statusText: "Later" } },
            { userId: u2, connectionId: "c3", presence: { status: "away", statusText: "" } },
            { userId: gone, connectionId: "c9", presence: { status: "offline", statusText: "" } },
          ],
          300,
        );
        expect(await b.getPresence([u1, u2, gone])).toEqual(
          new Map([
            [u1, { status: "online", statusText: "Later" }],
            [u2, { status: "away", statusText: "" }],
            [gone, { status: "offline", statusText: "" }],
          ]),
        );
        await a.refreshPresence([], 300); // nothing to do
        // The entries carry the refresh's TTL.
        await sleep(400);
        expect(await b.getPresence([u1, u2])).toEqual(
          new Map([
            [u1, { status: "offline", statusText: "" }],
            [u2, { status: "offline", statusText: "" }],
          ]),
        );
      });

      it("clearPresence of the last connection makes the user offline", async () => {
        const engine = await gateway();
        const user = id("u");
        await engine.setPresence(user, "c1", { status: "online", statusText: "hi" }, 10_000);
        await engine.clearPresence(user, "c1");
        await engine.clearPresence(user, "c1"); // idempotent
        expect((await engine.getPresence([user])).get(user)).toEqual({ status: "offline", statusText: "" });
      });
    });

    describe("process stats", () => {
      it("lists every process's latest snapshot until its TTL lapses", async () => {
        const [one, two] = [await gateway(), await gateway()];
        const [a, b] = [id("proc"), id("proc")];
        const mine = async () =>
          (await one.listProcessStats()).filter((s) => s.includes(a) || s.includes(b)).sort();
        // TTLs with room for a loaded box (a 300 ms one once lapsed before it was listed).
        await one.putProcessStats(a, JSON.stringify({ id: a, n: 1 }), 2_000);
        await two.putProcessStats(b, JSON.stringify({ id: b, n: 1 }), 60_000);
        await two.putProcessStats(b, JSON.stringify({ id: b, n: 2 }), 60_000); // replaces, never adds
        expect(await mine()).toEqual(
          [JSON.stringify({ id: a, n: 1 }), JSON.stringify({ id: b, n: 2 })].sort(),
        );
        await sleep(2_100);
        expect(await mine()).toEqual([JSON.stringify({ id: b, n: 2 })]);
      });
    });

    describe("readiness", () => {
      it("ping() resolves once the engine is connected and rejects once it is closed", async () => {
        const engine = await gateway();
        await eventually(() => expect(engine.ping()).resolves.toBeUndefined());
        await engine.close();
        await expect(engine.ping()).rejects.toThrow();
      });
    });
  });
}
