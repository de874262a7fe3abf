import { authRateLimiter, isRateLimited } from "@parley/core";
import { getDb } from "@parley/db";
import { type NextRequest, NextResponse } from "next/server";
import NextAuth from "next-auth";
import { env } from "~/env";
import { authOptions, authRequestOrigin, clientIp } from "~/server/auth";

type Ctx = { params: Promise<{ nextauth: string[] }> };

function handler(req: NextRequest, ctx: Ctx) {
  return NextAuth(req, ctx, authOptions());
}

/** The request's origin for the audit entries next-auth's callbacks write (sign-out, SSO sign-in). */
function withOrigin(req: NextRequest, fn: () => Promise<Response>): Promise<Response> {
  const origin = { ip: clientIp(req.headers), userAgent: req.headers.get("user-agent") ?? undefined };
  return authRequestOrigin.run(origin, fn);
}

/** GETs: session, CSRF, providers, and the SSO provider's redirect back (`callback/oidc`). */
function get(req: NextRequest, ctx: Ctx) {
  return withOrigin(req, () => handler(req, ctx));
}

/**
 * The e-mail of a credentials sign-in, read from the body exactly as next-auth reads it (JSON or
 * a form; anything else gives next-auth no credentials at all), so no encoding skips the count.
 */
async function credentialsEmail(req: NextRequest): Promise<string> {
  const type = req.headers.get("content-type") ?? "";
  const text = await req
    .clone()
    .text()
    .catch(() => "");
  let email: unknown;
  if (type.includes("application/json")) {
    try {
      email = (JSON.parse(text) as { email?: unknown } | null)?.email;
    } catch {
      email = undefined;
    }
  } else if (type.includes("application/x-www-form-urlencoded")) {
    email = new URLSearchParams(text).get("email");
  }
  return typeof email === "string" ? email : "";
}

/**
 * Every password sign-in (POST /api/auth/callback/credentials) is counted per account and per
 * client address BEFORE next-auth checks the password: while either is locked the answer is a
 * real HTTP 429 with Retry-After (next-auth's `authorize` cannot set a status). The JSON body keeps
 * next-auth's `{ url }` shape with `error=TooManyAttempts`, so its client still understands it.
 */
async function post(req: NextRequest, ctx: Ctx) {
  const { nextauth } = await ctx.params;
  if (nextauth[0] === "callback" && nextauth[1] === "credentials") {
    const email = (await credentialsEmail(req)).slice(0, 320);
    if (email.trim()) {
      try {
        await authRateLimiter(env()).beginSignIn(getDb(), {
          email,
          ip: clientIp(req.headers),
          userAgent: req.headers.get("user-agent") ?? undefined,
        });
      } catch (err) {
        if (!isRateLimited(err)) throw err;
        const url = new URL("/sign-in", env().PUBLIC_URL);
        url.searchParams.set("error", "TooManyAttempts");
        return NextResponse.json(
          {
            url: url.toString(),
            error: "TooManyAttempts",
            message: err.message,
            retryAfter: err.retryAfterSeconds,
          },
          { status: 429, headers: { "Retry-After": String(err.retryAfterSeconds) } },
        );
      }
    }
  }
  // next-auth's signOut event (after its CSRF check) records the sign-out with this address.
  return withOrigin(req, () => handler(req, ctx));
}

export { get as GET, post as POST };
