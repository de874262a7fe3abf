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
  ssoSignIn,
  type TAuditOrigin,
  verifyCredentials,
} from "@parley/core";
import { getDb } from "@parley/db";
import type { NextAuthOptions } from "next-auth";
import { getToken } from "next-auth/jwt";
import CredentialsProvider from "next-auth/providers/credentials";
import { env, isSecureOrigin } from "~/env";
import { OIDC_PROVIDER_ID, oidcProvider, ssoClaims, ssoPolicy } from "./sso";

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

/**
 * The request's address and user agent while next-auth handles it (the route handler sets it), for
 * the audit entries of a sign-out and of an SSO sign-in (next-auth's callbacks see no request).
 */
export const authRequestOrigin = new AsyncLocalStorage<TAuditOrigin>();

let cached: NextAuthOptions | undefined;

/** next-auth options, built on first use (they need the validated settings). */
export function authOptions(): NextAuthOptions {
  if (cached) return cached;
  const settings = env();
  const sso = oidcProvider(settings);
  cached = {
    secret: settings.AUTH_SECRET,
    session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
    // next-auth's cookies (session, CSRF, callback URL) are HttpOnly and SameSite=Lax; Secure (and
    // `__Secure-`/`__Host-` names) exactly when the app is served over https — said here rather
    // than left to next-auth's guess from NEXTAUTH_URL, and the same answer getToken reads with.
    useSecureCookies: isSecureOrigin(),
    // next-auth's errors (a failed SSO callback, a refused sign-in) land on our page, which words them.
    pages: { signIn: "/sign-in", error: "/sign-in" },
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
          // Refused while the workspace is SSO-only, but for the owner with PASSWORD_BREAK_GLASS_OWNER.
          const result = await verifyCredentials(
            getDb(),
            { email, password, userAgent: header(headers, "user-agent"), ip },
            { isOwnerBreakGlass: settings.PASSWORD_BREAK_GLASS_OWNER },
          );
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
      ...(sso ? [sso] : []),
    ],
    events: {
      // Signing out ends the server-side session too, not just the cookie, and records
      // auth.sign_out with the address the route handler put in authRequestOrigin.
      async signOut({ token }) {
        const sid = token?.sid;
        if (sid) await signOutSession(getDb(), sid, authRequestOrigin.getStore()).catch(() => undefined);
      },
    },
    callbacks: {
      // A password sign-in was decided in `authorize`. An SSO one arrives here after next-auth
      // checked the protocol: core decides who it is (JIT account, link, refusal) and opens the
      // AuthSession; the user object next-auth then hands to `jwt` is this one, now carrying `sid`.
      async signIn({ user, account, profile }) {
        if (account?.provider !== OIDC_PROVIDER_ID) return true;
        const claims = ssoClaims(
          settings,
          (profile ?? {}) as Record<string, unknown>,
          authRequestOrigin.getStore(),
        );
        const result = await ssoSignIn(getDb(), ssoPolicy(settings), claims);
        if (!result.ok) {
          const refused = new URL("/sign-in", settings.PUBLIC_URL);
          refused.searchParams.set("error", `sso_${result.refusal}`);
          return refused.toString();
        }
        Object.assign(user, {
          id: result.user.id,
          name: result.user.name,
          email: result.user.email,
          role: result.user.role,
          sid: result.sessionId,
        });
        return true;
      },
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
