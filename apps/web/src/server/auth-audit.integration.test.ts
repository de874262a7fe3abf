/**
 * The web's next-auth credentials `authorize` (the function the real sign-in flow runs) and
 * sign-out write the audit log with the address apps/web/server.ts put in CLIENT_ADDRESS_HEADER
 * and the browser's user agent; the attempted e-mail is kept, the password never.
 */
import { CLIENT_ADDRESS_HEADER } from "@parley/core";
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TTestDb;
type TAuthorize = (
  credentials: Record<string, string>,
  req: { headers: Record<string, string> },
) => Promise<{ id: string; sid: string } | null>;
let authorize: TAuthorize;
/** next-auth's signOut event, run as the route handler runs it: inside authRequestOrigin. */
let signOut: (sid: string, ip: string) => Promise<void>;

beforeAll(async () => {
  t = await createTestDb({ poolSize: 4 });
  await seedWorkspace(t.db, { name: "Web audit" });
  // The web reads its settings and database from the environment, once: point them at this file's database.
  const env = process.env as Record<string, string | undefined>;
  env.DATABASE_URL = t.url;
  env.AUTH_SECRET ??= "test-secret-test-secret-test-secret!";
  env.PUBLIC_URL ??= "http://localhost:3000";
  const { authOptions } = await import("./auth.ts");
  const provider = authOptions().providers[0] as unknown as { options: { authorize: TAuthorize } };
  authorize = provider.options.authorize;
  const { authRequestOrigin } = await import("./auth.ts");
  const onSignOut = authOptions().events?.signOut as (m: { token: { sid: string } }) => Promise<void>;
  signOut = (sid, ip) => authRequestOrigin.run({ ip, userAgent: UA }, () => onSignOut({ token: { sid } }));
});
afterAll(async () => {
  await t?.drop();
});

const UA = "Mozilla/5.0 (AuditTest)";
const headersFrom = (ip: string) => ({ [CLIENT_ADDRESS_HEADER]: ip, "user-agent": UA });

describe("sign-in through next-auth's authorize", () => {
  it("records one auth.sign_in with the session, address and user agent on success", async () => {
    const user = await seedUser(t.db, { password: "web-audit-correct-staple" });
    const signedIn = await authorize(
      { email: user.email, password: user.password },
      { headers: headersFrom("192.0.2.10") },
    );
    expect(signedIn?.id).toBe(user.id);
    const entries = await t.db.auditEntry.findMany({ where: { action: "auth.sign_in", actorId: user.id } });
    expect(entries).toMatchObject([
      {
        actorLabel: user.email,
        targetType: "session",
        targetId: signedIn?.sid,
        ip: "192.0.2.10",
        userAgent: UA,
      },
    ]);

    await signOut(signedIn!.sid, "192.0.2.11");
    await signOut(signedIn!.sid, "192.0.2.12"); // already ended: nothing more
    const out = await t.db.auditEntry.findMany({ where: { action: "auth.sign_out", actorId: user.id } });
    expect(out).toMatchObject([{ targetId: signedIn?.sid, ip: "192.0.2.11", userAgent: UA }]);
    expect(
      (await t.db.authSession.findUniqueOrThrow({ where: { id: signedIn!.sid } })).revokedAt,
    ).not.toBeNull();
  });

  it("records auth.sign_in_failed with the attempted e-mail (an unknown one has no actor), never the password", async () => {
    const user = await seedUser(t.db);
    expect(
      await authorize(
        { email: user.email, password: "not-it-at-all" },
        { headers: headersFrom("192.0.2.20") },
      ),
    ).toBeNull();
    expect(
      await authorize(
        { email: "Ghost@Example.test", password: "not-it-at-all" },
        { headers: headersFrom("192.0.2.21") },
      ),
    ).toBeNull();
    const failed = await t.db.auditEntry.findMany({
      where: { action: "auth.sign_in_failed" },
      orderBy: [{ at: "asc" }, { id: "asc" }],
    });
    expect(failed).toMatchObject([
      {
        actorId: user.id,
        actorLabel: user.email,
        ip: "192.0.2.20",
        userAgent: UA,
        details: { reason: "wrong password" },
      },
      {
        actorId: null,
        actorLabel: "ghost@example.test",
        ip: "192.0.2.21",
        details: { reason: "unknown e-mail" },
      },
    ]);
    expect(JSON.stringify(failed)).not.toContain("not-it-at-all");
    expect(await t.db.auditEntry.count({ where: { action: "auth.sign_in" } })).toBe(1); // the previous test's only
  });
});
