/**
 * tRPC setup: context, error mapping and the procedure builders. Authorization lives in these
 * builders (who is signed in, who is an admin) and in @parley/core (everything per conversation);
 * routers stay thin: validate with core's schemas, call core, return.
 */
import { loadEnv, type TEnv } from "@parley/config";
import {
  type Actor,
  type AuthRateLimiter,
  authRateLimiter,
  configureLimits,
  getLimits,
  isAdmin,
  ParleyError,
  resolveAccessToken,
  resolveSession,
} from "@parley/core";
import type { Db } from "@parley/db";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";

/** Per-request context. `sessionId` is set for browser sessions, `tokenId` for bearer tokens. */
export type Context = {
  db: Db;
  actor: Actor | null;
  sessionId?: string;
  tokenId?: string;
  env: TEnv;
  /** The client's address (apps/web/server.ts decides it from the socket and TRUST_PROXY). */
  clientAddress?: string;
  /** Sign-up and token-creation budgets (this process's shared limiter by default). */
  rateLimiter: AuthRateLimiter;
};

/** What the HTTP adapter knows about a request. */
export type CreateContextOptions = {
  db: Db;
  /** The AuthSession id from the signed-in browser session (next-auth JWT). */
  sessionId?: string | null;
  /** `Authorization: Bearer plt_…` — wins over the session when present. */
  bearerToken?: string | null;
  /** Settings; defaults to this process's `loadEnv()`. */
  env?: TEnv;
  /** The client's address, when the transport knows it. */
  clientAddress?: string | null;
  /** Defaults to `authRateLimiter(env)`, the process-wide limiter. */
  rateLimiter?: AuthRateLimiter;
};

/** Resolves the actor: a bearer token when given (a bad one means anonymous, no fallback), else the session. */
export async function createContext(opts: CreateContextOptions): Promise<Context> {
  const env = opts.env ?? loadEnv();
  if (getLimits().maxMessageLength !== env.MAX_MESSAGE_LENGTH) {
    configureLimits({ maxMessageLength: env.MAX_MESSAGE_LENGTH });
  }
  const base = {
    db: opts.db,
    env,
    rateLimiter: opts.rateLimiter ?? authRateLimiter(env),
    ...(opts.clientAddress ? { clientAddress: opts.clientAddress } : {}),
  };
  if (opts.bearerToken) {
    const resolved = await resolveAccessToken(opts.db, opts.bearerToken);
    if (!resolved) return { ...base, actor: null };
    const { tokenId, ...actor } = resolved;
    return { ...base, actor, tokenId };
  }
  if (opts.sessionId) {
    const actor = await resolveSession(opts.db, opts.sessionId);
    return actor ? { ...base, actor, sessionId: opts.sessionId } : { ...base, actor: null };
  }
  return { ...base, actor: null };
}

/** Field-level issues for forms: zod's flattened shape. */
export type FlattenedIssues = { formErrors: string[]; fieldErrors: Record<string, string[] | undefined> };

function flattenIssues(cause: unknown): FlattenedIssues | null {
  if (cause instanceof z.ZodError) return z.flattenError(cause) as FlattenedIssues;
  if (cause instanceof ParleyError && cause.cause instanceof z.ZodError) {
    return z.flattenError(cause.cause) as FlattenedIssues;
  }
  return null;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        zodError: error.code === "BAD_REQUEST" ? flattenIssues(error.cause) : null,
      },
    };
  },
});

/** Core throws ParleyError; give it the tRPC code of the same name (and keep it as the cause). */
const mapParleyErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof ParleyError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Anyone, signed in or not. */
export const publicProcedure = t.procedure.use(mapParleyErrors);

/** A signed-in, active user: `ctx.actor` is set. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.actor) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  return next({ ctx: { ...ctx, actor: ctx.actor } });
});

/** A workspace admin or owner. */
export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!isAdmin(ctx.actor))
    throw new TRPCError({ code: "FORBIDDEN", message: "Only workspace admins can do this" });
  return next();
});
