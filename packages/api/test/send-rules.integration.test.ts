/**
 * tRPC's `messages.send` (over HTTP, as a browser calls it; validated once, by core's
 * ZSendMessage) refuses exactly what the client SDK and the gateway refuse: protocol's
 * INVALID_SENDS table must answer BAD_REQUEST with `data.fieldErrors` on the same field paths, and
 * store nothing. The server's MAX_MESSAGE_LENGTH (from @parley/config) names the body too.
 */
import { parseEnv, type TEnv } from "@parley/config";
import { seedChannel, seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { INVALID_SENDS, invalidSendFields, issuePaths } from "@parley/protocol/testing";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";

let t: TTestDb;
let sessionId: string;
let channelId: string;

const settings = (extra: Record<string, string> = {}): TEnv =>
  parseEnv({
    DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
    AUTH_SECRET: "test-secret-test-secret-test-secret!",
    ...extra,
  });
const env = settings();

beforeAll(async () => {
  t = await createTestDb({ poolSize: 4 });
  await seedWorkspace(t.db, { name: "Send rules" });
  const ada = await seedUser(t.db, { name: "Ada" });
  channelId = (await seedChannel(t.db, { createdById: ada.id, memberIds: [] })).id;
  sessionId = (
    await t.db.authSession.create({
      data: { userId: ada.id, expiresAt: new Date(Date.now() + 3_600_000) },
      select: { id: true },
    })
  ).id;
});
afterAll(async () => {
  await t?.drop();
});

type TAnswer = {
  status: number;
  error?: { message: string; data: { code: string; fieldErrors: Record<string, string[]> | null } };
};

/** `messages.send` over HTTP as Ada. */
async function send(fields: Record<string, unknown>, withEnv: TEnv = env): Promise<TAnswer> {
  const input = { conversationId: channelId, clientMsgId: crypto.randomUUID(), ...fields };
  const res = await fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req: new Request("http://localhost/api/trpc/messages.send", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(superjson.serialize(input)),
    }),
    createContext: () => createContext({ db: t.db, sessionId, env: withEnv }),
  });
  const body = (await res.json()) as { error?: { json: TAnswer["error"] } };
  return { status: res.status, ...(body.error?.json ? { error: body.error.json } : {}) };
}

describe("tRPC messages.send refuses the table of invalid sends", () => {
  it.each(INVALID_SENDS)("refuses $name, naming $paths", async (c) => {
    const answer = await send(invalidSendFields(c, channelId));
    expect(answer.status).toBe(400);
    expect(answer.error?.data.code).toBe("BAD_REQUEST");
    const paths = Object.keys(answer.error?.data.fieldErrors ?? {}).map((path) => ({ path }));
    expect(issuePaths(paths)).toEqual(c.paths);
    for (const path of c.paths) expect(answer.error?.message).toContain(`${path}: `);
    expect(await t.db.message.count({ where: { conversationId: channelId } })).toBe(0);
  });

  it("names the body when it is over MAX_MESSAGE_LENGTH, after trimming", async () => {
    const short = settings({ MAX_MESSAGE_LENGTH: "10" });
    try {
      const answer = await send({ body: "x".repeat(11) }, short);
      expect(answer.status).toBe(400);
      expect(answer.error?.data.fieldErrors?.body?.[0]).toMatch(/longer than 10 characters/);
      expect((await send({ body: `  ${"x".repeat(10)}  ` }, short)).status).toBe(200);
    } finally {
      await send({ body: "restores the default limit" });
    }
  });

  it("stores a valid send (the control)", async () => {
    expect((await send({ body: "hello" })).status).toBe(200);
    const bodies = await t.db.message.findMany({
      where: { conversationId: channelId },
      select: { body: true },
    });
    expect(bodies.map((m) => m.body).sort()).toEqual(["hello", "restores the default limit", "x".repeat(10)]);
  });
});
