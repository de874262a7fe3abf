/**
 * Message retention over the router: only admins read or change it (members get FORBIDDEN from
 * the procedure builder and from core), input is validated, each change is audit-logged with the
 * caller's address, and the dry run answers without changing anything.
 */
import { createChannel } from "@parley/core";
import { describe, expect, it } from "vitest";
import { expectCode, signedInCaller, useApiTestDb } from "./helpers.ts";

const t = useApiTestDb("Retention");
const callerFor = (role: "admin" | "member") => signedInCaller(t.db(), role, "203.0.113.9");

describe("retention procedures", () => {
  it("are for admins only, validate input, audit each change and preview without writing", async () => {
    const admin = await callerFor("admin");
    const member = await callerFor("member");
    const channel = await createChannel(t.db(), admin.actor, { name: "keep-short" });

    await expectCode(member.caller.retention.settings(), "FORBIDDEN");
    await expectCode(member.caller.retention.setWorkspace({ days: 30 }), "FORBIDDEN");
    await expectCode(
      member.caller.retention.setChannel({ conversationId: channel.id, days: 1 }),
      "FORBIDDEN",
    );
    await expectCode(member.caller.retention.preview(), "FORBIDDEN");
    await expectCode(admin.caller.retention.setWorkspace({ days: 1.5 }), "BAD_REQUEST");
    await expectCode(admin.caller.retention.setWorkspace({ days: 36_501 }), "BAD_REQUEST");

    await admin.caller.retention.setWorkspace({ days: 90 });
    await admin.caller.retention.setChannel({ conversationId: channel.id, days: 7 });
    const settings = await admin.caller.retention.settings();
    expect(settings.workspaceDays).toBe(90);
    expect(settings.channels).toContainEqual(
      expect.objectContaining({ conversationId: channel.id, retentionDays: 7, name: "keep-short" }),
    );
    const entries = await t.db().auditEntry.findMany({
      where: { action: "retention.updated" },
      orderBy: { at: "asc" },
    });
    expect(entries.map((e) => [e.targetType, e.details, e.ip])).toEqual([
      ["workspace", { before: { days: 0 }, after: { days: 90 } }, "203.0.113.9"],
      ["channel", { before: { days: null }, after: { days: 7 } }, "203.0.113.9"],
    ]);

    const preview = await admin.caller.retention.preview();
    expect(preview.find((r) => r.conversationId === channel.id)).toMatchObject({ days: 7, messages: 0 });
    expect(await t.db().conversation.findUniqueOrThrow({ where: { id: channel.id } })).toMatchObject({
      truncatedSeq: 0,
    });
  });
});
