/**
 * next-auth's cookies when Parley is served over https (PUBLIC_URL https://…): a real sign-in —
 * the CSRF round trip, then the credentials callback checking a real password in Postgres — run
 * through next-auth's own handler with the web's authOptions, and the Set-Cookie headers it writes
 * read back. Every cookie must be HttpOnly, SameSite=Lax and Secure, with the `__Secure-`/`__Host-`
 * names browsers enforce. (The http case, from the running app's real responses: e2e
 * security-headers.spec.ts.)
 */
import { seedUser, seedWorkspace } from "@parley/db/seed";
import { createTestDb, type TTestDb } from "@parley/db/testing";
import type { NextAuthOptions } from "next-auth";
import NextAuth from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let t: TTestDb;
let options: NextAuthOptions;
const saved = { ...process.env };

beforeAll(async () => {
  t = await createTestDb({ poolSize: 2 });
  await seedWorkspace(t.db, { name: "Cookie flags" });
  // The web reads its settings once, from the environment: https for this file.
  const env = process.env as Record<string, string | undefined>;
  env.DATABASE_URL = t.url;
  env.AUTH_SECRET = "cookie-test-secret-cookie-test-secret!";
  env.PUBLIC_URL = "https://chat.example.test";
  options = (await import("./auth.ts")).authOptions();
});
afterAll(async () => {
  process.env = saved;
  await t?.drop();
});

/** One request through next-auth's API handler; answers its status, body and Set-Cookie lines. */
async function call(
  method: "GET" | "POST",
  path: string[],
  { cookies = {}, body = {} }: { cookies?: Record<string, string>; body?: Record<string, string> } = {},
) {
  const headers: Record<string, unknown> = {};
  let status = 200;
  let sent: unknown;
  const res = {
    status(code: number) {
      status = code;
      return res;
    },
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = value;
      return res;
    },
    getHeader: (name: string) => headers[name.toLowerCase()],
    json(b: unknown) {
      sent = b;
    },
    send(b: unknown) {
      sent = b;
    },
    end: () => undefined,
  };
  const req = {
    method,
    query: { nextauth: path },
    headers: { host: "chat.example.test", "content-type": "application/x-www-form-urlencoded" },
    cookies,
    body,
  };
  await (NextAuth as unknown as (q: unknown, r: unknown, o: NextAuthOptions) => Promise<void>)(
    req,
    res,
    options,
  );
  const setCookie = headers["set-cookie"];
  return { status, body: sent, setCookies: (Array.isArray(setCookie) ? setCookie : []) as string[] };
}

/** name → { value, attributes (lower-cased) } of Set-Cookie lines. */
function parse(lines: string[]) {
  return new Map(
    lines.map((line) => {
      const [pair = "", ...attrs] = line.split(/;\s*/);
      const eq = pair.indexOf("=");
      return [pair.slice(0, eq), { value: pair.slice(eq + 1), attrs: attrs.map((a) => a.toLowerCase()) }];
    }),
  );
}

describe("next-auth cookies over https", () => {
  it("sets the CSRF and session cookies HttpOnly, Secure and SameSite=Lax under __Host-/__Secure- names", async () => {
    const user = await seedUser(t.db, { password: "cookie-flags-correct-staple" });

    const csrf = await call("GET", ["csrf"]);
    const csrfCookies = parse(csrf.setCookies);
    const csrfCookie = csrfCookies.get("__Host-next-auth.csrf-token");
    expect(csrfCookie, csrf.setCookies.join("\n")).toBeDefined();
    const { csrfToken } = csrf.body as { csrfToken: string };

    const signIn = await call("POST", ["callback", "credentials"], {
      cookies: { "__Host-next-auth.csrf-token": decodeURIComponent(csrfCookie?.value ?? "") },
      body: { email: user.email, password: user.password, csrfToken, json: "true" },
    });
    expect(signIn.body).toEqual({ url: expect.not.stringContaining("error") });
    const cookies = parse([...csrf.setCookies, ...signIn.setCookies]);
    expect([...cookies.keys()]).toEqual(
      expect.arrayContaining([
        "__Host-next-auth.csrf-token",
        "__Secure-next-auth.callback-url",
        "__Secure-next-auth.session-token",
      ]),
    );
    for (const [name, { attrs }] of cookies) {
      expect(attrs, name).toContain("httponly");
      expect(attrs, name).toContain("secure");
      expect(attrs, name).toContain("samesite=lax");
      expect(attrs, name).toContain("path=/");
      // __Host- forbids a Domain; none of ours names one (host-only cookies).
      expect(
        attrs.some((a) => a.startsWith("domain=")),
        name,
      ).toBe(false);
    }
    expect(cookies.get("__Secure-next-auth.session-token")?.value).toMatch(/^[\w-]+\.[\w-]*\.[\w-]+/);
  });
});
