/**
 * tRPC setup: context, error mapping and the procedure builders. Authorization lives in these
 * builders (who is signed in, who is an admin) and in @parley/core (everything per conversation);
 * routers stay thin: validate with core's schemas, call core, return.
 */
import { randomUUID } from "node:crypto";
import { loadEnv, type TEnv } from "@parley/config";
import {
  type AuthRateLimiter,
  authRateLimiter,
  configureLimits,
  configureSendBatching,
  configureSlashCommands,
  currentRequestId,
  describeIssues,
  errorTemplate,
  fieldErrorsOf,
  fieldIssuesOf,
  formatTemplate,
  isAdmin,
  metrics,
  ParleyError,
  processLogger,
  resolveAccessToken,
  resolveSession,
  type TActor,
  type TAuditOrigin,
  type TErrorParams,
  type TFieldIssue,
} from "@parley/core";
import type { TDb } from "@parley/db";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";

/** Per-request context. `sessionId` is set for browser sessions, `tokenId` for bearer tokens. */
export type TContext = {
  db: TDb;
  actor: TActor | null;
  sessionId?: string;
  tokenId?: string;
  env: TEnv;
  /** The client's address (apps/web/server.ts decides it from the socket and TRUST_PROXY). */
  clientAddress?: string;
  /** Where the request came from (address and user agent), for the audit log. */
  origin: TAuditOrigin;
  /** Sign-up and token-creation budgets (this process's shared limiter by default). */
  rateLimiter: AuthRateLimiter;
};

/** What the HTTP adapter knows about a request. */
export type TCreateContextOptions = {
  db: TDb;
  /** The AuthSession id from the signed-in browser session (next-auth JWT). */
  sessionId?: string | null;
  /** `Authorization: Bearer plt_…` — wins over the session when present. */
  bearerToken?: string | null;
  /** Settings; defaults to this process's `loadEnv()`. */
  env?: TEnv;
  /** The client's address, when the transport knows it. */
  clientAddress?: string | null;
  /** The request's User-Agent, when the transport knows it (audit log only). */
  userAgent?: string | null;
  /** Defaults to `authRateLimiter(env)`, the process-wide limiter. */
  rateLimiter?: AuthRateLimiter;
};

let configuredWith: TEnv | undefined;

/**
 * Hands core the settings it enforces, once per settings object: Next's bundle holds its own copy
 * of @parley/core, which apps/web/server.ts's start-up configuration never reaches. `loadEnv()`
 * returns one object per process, so the web configures once; a test passing other settings
 * reconfigures.
 */
function configureCore(env: TEnv): void {
  if (configuredWith === env) return;
  configuredWith = env;
  configureLimits({ maxMessageLength: env.MAX_MESSAGE_LENGTH });
  configureSendBatching({
    maxBatch: env.SEND_BATCH_MAX,
    maxInFlight: env.SEND_BATCH_IN_FLIGHT,
    gatherMs: env.SEND_BATCH_GATHER_MS,
  });
  configureSlashCommands({ publicUrl: env.PUBLIC_URL, allowHosts: env.SLASH_COMMAND_ALLOW_HOSTS });
}

/** Resolves the actor: a bearer token when given (a bad one means anonymous, no fallback), else the session. */
export async function createContext(opts: TCreateContextOptions): Promise<TContext> {
  const env = opts.env ?? loadEnv();
  configureCore(env);
  const base = {
    db: opts.db,
    env,
    rateLimiter: opts.rateLimiter ?? authRateLimiter(env),
    ...(opts.clientAddress ? { clientAddress: opts.clientAddress } : {}),
    origin: {
      ...(opts.clientAddress ? { ip: opts.clientAddress } : {}),
      ...(opts.userAgent ? { userAgent: opts.userAgent } : {}),
    },
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
export type TFlattenedIssues = { formErrors: string[]; fieldErrors: Record<string, string[] | undefined> };

/** The ZodError behind a BAD_REQUEST (tRPC's input validation, or core's parseInput), if any. */
function zodErrorOf(cause: unknown): z.ZodError | null {
  if (cause instanceof z.ZodError) return cause;
  if (cause instanceof ParleyError && cause.cause instanceof z.ZodError) return cause.cause;
  return null;
}

/** Where internal errors are logged (with their request id); the process logger unless replaced. */
export type TInternalErrorLogger = (entry: {
  requestId: string;
  path: string | undefined;
  error: unknown;
}) => void;

/** The process's logger (core's `processLogger`: the app's pino, or the console). */
const defaultInternalErrorLogger: TInternalErrorLogger = ({ requestId, path, error }) => {
  processLogger().error({ err: error, requestId, procedure: path }, "tRPC call failed");
};
let logInternalError: TInternalErrorLogger = defaultInternalErrorLogger;

/** Replaces the internal-error logger (e.g. with the app's pino); no argument restores stderr. */
export function setInternalErrorLogger(logger?: TInternalErrorLogger): void {
  logInternalError = logger ?? defaultInternalErrorLogger;
}

/** The template of the message every client gets for an INTERNAL_SERVER_ERROR (`{requestId}`). */
export const INTERNAL_ERROR_TEMPLATE = errorTemplate(
  "Something went wrong on the server. Try again; if it keeps happening, tell your administrator the request id {requestId}.",
);

/** The message every client gets for an INTERNAL_SERVER_ERROR: nothing from the cause, only the id. */
export function internalErrorMessage(requestId: string): string {
  return formatTemplate(INTERNAL_ERROR_TEMPLATE, { requestId });
}

const t = initTRPC.context<TContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error, path }) {
    if (error.code === "INTERNAL_SERVER_ERROR") {
      // The cause's text (Prisma, SQL, stack) stays in the server log under this id; the client
      // gets a generic message and the id to quote.
      // The HTTP request's id when there is one (server.ts gives every request one, and its log
      // lines carry it), so the id a user quotes finds every line of that request.
      const requestId = currentRequestId() ?? randomUUID();
      metrics().counts.internalErrors += 1;
      logInternalError({ requestId, path, error: error.cause ?? error });
      return {
        code: shape.code,
        message: internalErrorMessage(requestId),
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          ...(shape.data.path !== undefined ? { path: shape.data.path } : {}),
          requestId,
          zodError: null,
          fieldErrors: null,
          fieldIssues: null as TFieldIssue[] | null,
          reason: null,
          template: INTERNAL_ERROR_TEMPLATE as string | null,
          params: { requestId } as TErrorParams | null,
        },
      };
    }
    const zodError = error.code === "BAD_REQUEST" ? zodErrorOf(error.cause) : null;
    return {
      ...shape,
      data: {
        ...shape.data,
        requestId: null as string | null,
        /** zod's flattened issues (top-level keys), kept for older clients. */
        zodError: zodError ? (z.flattenError(zodError) as TFlattenedIssues) : null,
        /** Messages per field, by dotted path (`name`, `userIds.0`; `""` for the whole input). */
        fieldErrors: zodError ? fieldErrorsOf(zodError) : null,
        /**
         * The same issues for clients that word them in the user's language: path, English message
         * (a catalog template when our schema wrote it), zod's code and the values it needs.
         */
        fieldIssues: zodError ? fieldIssuesOf(zodError) : null,
        /** Why, beside the code, when core gave a reason (protocol's ErrorReason, e.g. BROADCAST_RESTRICTED). */
        reason: (error.cause instanceof ParleyError ? error.cause.reason : undefined) ?? null,
        /** The English template of a core refusal (gettext style: clients translate by it), else null. */
        template: error.cause instanceof ParleyError ? error.cause.template : null,
        /** The template's `{name}` values, or null. */
        params: (error.cause instanceof ParleyError ? error.cause.params : undefined) ?? null,
      },
    };
  },
});

/**
 * Core throws ParleyError; give it the tRPC code of the same name (and keep it as the cause).
 * Input validation failures get a readable message (`field: problem; …`) instead of zod's JSON.
 */
const mapParleyErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof ParleyError) {
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  if (result.error.code === "BAD_REQUEST" && cause instanceof z.ZodError) {
    // As core's parseInput words it, so the client translates both alike.
    const refusal = new ParleyError("BAD_REQUEST", "Invalid input: {issues}", {
      cause,
      params: { issues: describeIssues(cause) },
    });
    throw new TRPCError({ code: "BAD_REQUEST", message: refusal.message, cause: refusal });
  }
  return result;
});

/**
 * An input the core service validates itself: tRPC only takes its type (for clients), so the
 * input is checked once, by core's schema, and its refusal is core's BAD_REQUEST with field issues
 * (`data.fieldErrors`) like any other. Use it when core parses the same schema anyway.
 */
export function validatedByCore<S extends z.ZodType>(_schema: S): (input: unknown) => z.input<S> {
  return (input) => input as z.input<S>;
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Anyone, signed in or not. */
export const publicProcedure = t.procedure.use(mapParleyErrors);

/** A signed-in, active user: `ctx.actor` is set. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  // ParleyErrors (mapParleyErrors above turns them into tRPC's), so clients can translate them.
  if (!ctx.actor) throw new ParleyError("UNAUTHORIZED", "Sign in first");
  return next({ ctx: { ...ctx, actor: ctx.actor } });
});

/** A workspace admin or owner. */
export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!isAdmin(ctx.actor)) throw new ParleyError("FORBIDDEN", "Only workspace admins can do this");
  return next();
});
