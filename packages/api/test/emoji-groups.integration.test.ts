/**
 * Custom emoji and user groups over the real router: who may call what (the signed out get
 * UNAUTHORIZED everywhere; members list but may not manage groups or the emoji policy; guests may
 * not add emoji), and core's field errors reach the client (over HTTP) for a bad handle or name.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { seedUser } from "@parley/db/seed";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../src/root.ts";
import { createContext } from "../src/trpc.ts";
import { expectCode, postTrpc, testEnv, useApiTestDb } from "./helpers.ts";

const t = useApiTestDb("Emoji and groups");
let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "parley-api-emoji-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==";

async function callerAs(role: "admin" | "member" | "guest" | null) {
  const env = testEnv({ STORAGE_DIR: dir });
  if (!role) return { caller: createCaller(await createContext({ db: t.db(), env })), sessionId: "" };
  const user = await seedUser(t.db(), { role });
  const session = await t.db().authSession.create({
    data: { userId: user.id, expiresAt: new Date(Date.now() + 3600_000) },
  });
  return {
    caller: createCaller(await createContext({ db: t.db(), sessionId: session.id, env })),
    sessionId: session.id,
  };
}

describe("emoji and userGroups procedures", () => {
  it("refuse the signed out everywhere, and members where admins decide", async () => {
    const anonymous = (await callerAs(null)).caller;
    const member = (await callerAs("member")).caller;
    const admin = (await callerAs("admin")).caller;
    const group = await admin.userGroups.create({ handle: `ops-${Date.now()}`, name: "Ops" });

    await expectCode(anonymous.emoji.list(), "UNAUTHORIZED");
    await expectCode(anonymous.emoji.create({ name: "anon", image: PNG }), "UNAUTHORIZED");
    await expectCode(anonymous.emoji.delete({ name: "anon" }), "UNAUTHORIZED");
    await expectCode(anonymous.userGroups.list(), "UNAUTHORIZED");
    for (const caller of [anonymous, member]) {
      const code = caller === anonymous ? "UNAUTHORIZED" : "FORBIDDEN";
      await expectCode(caller.emoji.setPolicy({ adminsOnly: true }), code);
      await expectCode(caller.userGroups.create({ handle: "nope", name: "Nope" }), code);
      await expectCode(caller.userGroups.update({ groupId: group.id, name: "Mine" }), code);
      await expectCode(caller.userGroups.delete({ groupId: group.id }), code);
    }
    expect((await member.userGroups.list()).map((g) => g.id)).toContain(group.id);
    expect(await t.db().userGroup.findUniqueOrThrow({ where: { id: group.id } })).toMatchObject({
      name: "Ops",
    });

    // Members add emoji by default; guests never.
    const guest = (await callerAs("guest")).caller;
    await expectCode(guest.emoji.create({ name: `g-${Date.now()}`, image: PNG }), "FORBIDDEN");
    const name = `m-${Date.now()}`;
    const created = await member.emoji.create({ name, image: PNG });
    expect((await guest.emoji.list()).map((e) => e.name)).toContain(name);
    expect((await guest.emoji.imageUrl({ id: created.id })).url).toContain("/api/files/local/emoji/");
    await expectCode(admin.emoji.create({ name, image: PNG }), "CONFLICT");
    await admin.emoji.delete({ name });
  });

  it("answers a bad handle or emoji name with the field's error over HTTP", async () => {
    const { sessionId } = await callerAs("admin");
    const groupRes = await postTrpc(
      t.db(),
      "userGroups.create",
      { handle: "no spaces", name: "X" },
      sessionId,
    );
    expect(groupRes.status).toBe(400);
    expect(groupRes.error?.data.fieldErrors).toMatchObject({ handle: [expect.stringMatching(/lower-case/)] });
    const emojiRes = await postTrpc(t.db(), "emoji.create", { name: "Bad Name", image: PNG }, sessionId);
    expect(emojiRes.status).toBe(400);
    expect(emojiRes.error?.data.fieldErrors).toMatchObject({ name: [expect.stringMatching(/lower-case/)] });
  });
});
