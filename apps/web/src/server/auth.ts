/**
 * next-auth v4 (Credentials + JWT). v4 is the stable line and works with Next 16; v5 is only
 * published as betas. The JWT is just a signed pointer to an AuthSession row (`sid`): every
 * session read re-checks that row, so revoking a session in settings (or deactivating a user)
 * ends the cookie on its next use, and the tRPC context trusts nothing but that sid.
 */

import { AsyncLocalStorage } from "node:async_hooks";
import {
  authRateLimiter,
  CLIENT_ADDRESS_HEADER,
  resolveSession,
  signOutSession,
  type TAuditOrigin,
  verifyCredentials,
} from "@parley/core";
import { getDb } from "@parley/db";
import type { NextAuthOptions } from "next-auth";
import { getToken } from "next-auth/jwt";
import CredentialsProvider from "next-auth/providers/credentials";
import { env, isSecureOrigin } from "~/env";

type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag | undefined, name: string): string | undefined {
  const v = headers?.[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The client's address as apps/web/server.ts decided it from the socket and TRUST_PROXY (core's
 * `clientAddress`), never a client-supplied X-Forwarded-For.
 */
export function clientIp(headers: HeaderBag | Headers | undefined): string | undefined {
  const value =
    headers instanceof Headers ? headers.get(CLIENT_ADDRESS_HEADER) : header(headers, CLIENT_ADDRESS_HEADER);
  return value || undefined;
}

/** The request's address and user agent while next-auth handles it (for the sign-out's audit entry). */
export const signOutOrigin = new AsyncLocalStorage<TAuditOrigin>();

let cached: NextAuthOptions | undefined;

/** next-auth options, built on first use (they need the validated settings). */
export function authOptions(): NextAuthOptions {
  if (cached) return cached;
  const settings = env();
  cached = {
    secret: settings.AUTH_SECRET,
    session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
    // next-auth's cookies (session, CSRF, callback URL) are HttpOnly and SameSite=Lax; Secure (and
    // `__Secure-`/`__Host-` names) exactly when the app is served over https — said here rather
    // than left to next-auth's guess from NEXTAUTH_URL, and the same answer getToken reads with.
    useSecureCookies: isSecureOrigin(),
    pages: { signIn: "/sign-in" },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
        },
        async authorize(credentials, req) {
          const email = typeof credentials?.email === "string" ? credentials.email.trim() : "";
          const password = typeof credentials?.password === "string" ? credentials.password : "";
          if (!email || !password) return null;
          const headers = req?.headers as HeaderBag | undefined;
          const ip = clientIp(headers);
          // The attempt was already counted by the route handler (beginSignIn) before we got here.
          const result = await verifyCredentials(getDb(), {
            email,
            password,
            userAgent: header(headers, "user-agent"),
            ip,
          });
          if (!result) return null;
          await authRateLimiter(settings).signInSucceeded({ email, ip });
          return {
            id: result.user.id,
            name: result.user.name,
            email: result.user.email,
            role: result.user.role,
            sid: result.sessionId,
          };
        },
      }),
    ],
    events: {
      // Signing out ends the server-side session too, not just the cookie, and records
      // auth.sign_out with the address the route handler put in signOutOrigin.
      async signOut({ token }) {
        const sid = token?.sid;
        if (sid) await signOutSession(getDb(), sid, signOutOrigin.getStore()).catch(() => undefined);
      },
    },
    callbacks: {
      async jwt({ token, user }) {
        if (user) {
          token.sid = user.sid;
          token.uid = user.id;
          token.role = user.role;
          return token;
        }
        // Throwing makes next-auth clear the cookie: the AuthSession was revoked or expired.
        const actor = token.sid ? await resolveSession(getDb(), token.sid) : null;
        if (!actor) throw new Error("session revoked");
        token.role = actor.role;
        return token;
      },
      async session({ session, token }) {
        session.user = {
          ...session.user,
          id: token.uid ?? "",
          role: token.role ?? "member",
        };
        return session;
      },
    },
  };
  return cached;
}

/** Reads the AuthSession id out of the session cookie of a request (or a request-like object). */
export async function sessionIdFrom(req: Parameters<typeof getToken>[0]["req"]): Promise<string | undefined> {
  const token = await getToken({ req, secret: env().AUTH_SECRET, secureCookie: isSecureOrigin() });
  return typeof token?.sid === "string" ? token.sid : undefined;
}
