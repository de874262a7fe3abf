/**
 * #general and default channels (core/src/conversations/defaults.ts): first-run setup makes
 * #general and #random; people who sign up join #general and every default channel; #general
 * cannot be left, have people removed or be archived; only admins choose default channels.
 */
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp } from "../src/auth.ts";
import {
  archiveConversation,
  createChannel,
  leaveConversation,
  listMyConversations,
  removeMember,
  setDefaultChannel,
} from "../src/conversations.ts";
import { setupWorkspace, updateWorkspace } from "../src/workspace.ts";
import { expectParley, logCounts } from "./helpers.ts";

let t: TTestDb;
const password = "correct horse battery";
let owner: { userId: string; role: "owner" };
let generalId: string;
let randomId: string;

beforeAll(async () => {
  t = await createTestDb();
  const { user } = await setupWorkspace(t.db, {
    workspaceName: "Acme",
    name: "Ada",
    email: "ada@acme.test",
    password,
  });
  owner = { userId: user.id, role: "owner" };
  await updateWorkspace(t.db, owner, { allowOpenSignup: true });
});
afterAll(async () => {
  await t?.drop();
});

async function newMember(name: string) {
  const { user } = await signUp(t.db, { name, email: `${name.toLowerCase()}@acme.test`, password });
  return { userId: user.id, role: "member" as const };
}
const namesOf = async (actor: { userId: string; role: "owner" | "admin" | "member" | "guest" }) =>
  (await listMyConversations(t.db, actor)).map((c) => c.name).sort();

describe("default channels", () => {
  it("first-run setup makes #general and #random, the owner in both, #general the workspace's", async () => {
    const mine = await listMyConversations(t.db, owner);
    expect(mine.map((c) => [c.name, c.kind, c.isDefault, c.isGeneral, c.memberRole])).toEqual([
      ["general", "public_channel", true, true, "owner"],
      ["random", "public_channel", true, false, "owner"],
    ]);
    generalId = mine[0]!.id;
    randomId = mine[1]!.id;
    const ws = await t.db.workspace.findUniqueOrThrow({ where: { id: 1 } });
    expect(ws.generalChannelId).toBe(generalId);
  });

  it("people who sign up join #general and the default channels, not the others nor archived defaults", async () => {
    const design = await createChannel(t.db, owner, { name: "design" });
    const plain = await createChannel(t.db, owner, { name: "plain" });
    const old = await createChannel(t.db, owner, { name: "old" });
    await setDefaultChannel(t.db, owner, { conversationId: design.id, isDefault: true });
    await setDefaultChannel(t.db, owner, { conversationId: old.id, isDefault: true });
    await archiveConversation(t.db, owner, { conversationId: old.id });
    const bob = await newMember("Bob");
    expect(await namesOf(bob)).toEqual(["design", "general", "random"]);
    expect(plain.isDefault).toBe(false);
    // They joined as themselves, with what was there already read (as any join).
    const joined = await t.db.event.findFirstOrThrow({
      where: { conversationId: generalId, kind: "member.joined", actorId: bob.userId },
    });
    expect(joined.payload).toMatchObject({ userId: bob.userId, userName: "Bob" });
    // Unmarking: the next person does not join it.
    await setDefaultChannel(t.db, owner, { conversationId: design.id, isDefault: false });
    expect(await namesOf(await newMember("Cy"))).toEqual(["general", "random"]);
  });

  it("#general cannot be left, emptied of someone or archived; nothing is written", async () => {
    const dee = await newMember("Dee");
    const before = await logCounts(t.db);
    const lastSeq = (await t.db.conversation.findUniqueOrThrow({ where: { id: generalId } })).lastSeq;
    await expectParley(leaveConversation(t.db, dee, { conversationId: generalId }), "FORBIDDEN", /#general/);
    await expectParley(
      removeMember(t.db, owner, { conversationId: generalId, userId: dee.userId }),
      "FORBIDDEN",
      /#general/,
    );
    await expectParley(
      archiveConversation(t.db, owner, { conversationId: generalId }),
      "FORBIDDEN",
      /#general/,
    );
    await expectParley(
      setDefaultChannel(t.db, owner, { conversationId: generalId, isDefault: false }),
      "FORBIDDEN",
      /#general/,
    );
    expect(await logCounts(t.db)).toEqual(before);
    expect((await t.db.conversation.findUniqueOrThrow({ where: { id: generalId } })).lastSeq).toBe(lastSeq);
    expect(await namesOf(dee)).toContain("general");
    // #random is an ordinary default channel: it can be left.
    await leaveConversation(t.db, dee, { conversationId: randomId });
    expect(await namesOf(dee)).toEqual(["general"]);
  });

  it("only admins choose default channels, and only public ones", async () => {
    const eve = await newMember("Eve");
    const open = await createChannel(t.db, eve, { name: "eve-open" });
    const secret = await createChannel(t.db, owner, { name: "secret", isPrivate: true });
    await expectParley(
      setDefaultChannel(t.db, eve, { conversationId: open.id, isDefault: true }),
      "FORBIDDEN",
    );
    await expectParley(
      setDefaultChannel(t.db, owner, { conversationId: secret.id, isDefault: true }),
      "FORBIDDEN",
      /public/,
    );
    await expectParley(
      setDefaultChannel(t.db, owner, { conversationId: open.id, isDefault: "yes" } as never),
      "BAD_REQUEST",
    );
    expect(
      (await setDefaultChannel(t.db, owner, { conversationId: open.id, isDefault: true })).isDefault,
    ).toBe(true);
  });
});
