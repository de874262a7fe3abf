/**
 * Brute-force protection for sign-in, sign-up (invite redemption included) and personal access
 * token creation, on `rate-limiter-flexible`: counts live in Redis when the process has REDIS_URL
 * (shared by every process, with a per-process memory limiter as insurance while Redis is down),
 * else in this process's memory. A refusal is a RateLimitedError (TOO_MANY_REQUESTS) carrying
 * `retryAfterSeconds`; transports answer HTTP 429 with `Retry-After`.
 *
 * Sign-in is counted BEFORE the password is checked (one point per attempt, per account and per
 * client address), so parallel guesses cannot outrun the count; a successful sign-in clears the
 * account's count and gives the address its point back. The first refused attempt of a lockout
 * is written to the audit log (`auth.lockout`), which admins see in the audit log (Settings → Audit log).
 */
import type { TEnv } from "@parley/config";
import type { TDb } from "@parley/db";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from "rate-limiter-flexible";
import { recordAudit } from "./audit/record.ts";
import { createRedisClient, type TRedisClient } from "./engine/redis-client.ts";
import { errorTemplate, ParleyError } from "./errors.ts";

/** TOO_MANY_REQUESTS with how long to wait. */
export class RateLimitedError extends ParleyError {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number, message?: string) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    const [count, unit] = waitText(seconds).split(" ");
    super("TOO_MANY_REQUESTS", message ?? errorTemplate("Too many attempts, try again in {count} {unit}"), {
      params: { count: Number(count), unit: unit ?? "" },
    });
    this.name = "RateLimitedError";
    this.retryAfterSeconds = seconds;
  }
}

/** "N minutes" (or seconds under a minute) for a wait. */
export function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** The limits, from RATE_LIMIT_* settings. */
export type TAuthLimits = {
  signInAccountFailures: number;
  signInAccountMinutes: number;
  signInIpFailures: number;
  signInIpMinutes: number;
  signUpPerHour: number;
  tokenCreatePerHour: number;
  /**
   * Profile and avatar changes per user per hour (each appends an event to every conversation the
   * person is in, which every member's tab follows); PROFILE_CHANGES_PER_HOUR when absent.
   */
  profileChangesPerHour?: number;
  /** Slack-compatible API calls per bot (or personal) token per minute; API_CALLS_PER_MINUTE when absent. */
  apiCallsPerMinute?: number;
};

/** Default budget of profile changes per user per hour (not a setting: no one needs more). */
export const PROFILE_CHANGES_PER_HOUR = 60;
/** Default budget of Slack-compatible API calls per token per minute (Slack's busiest tier is ~100). */
export const API_CALLS_PER_MINUTE = 300;

export function authLimitsFrom(env: TEnv): TAuthLimits {
  return {
    signInAccountFailures: env.RATE_LIMIT_SIGNIN_ACCOUNT_FAILURES,
    signInAccountMinutes: env.RATE_LIMIT_SIGNIN_ACCOUNT_MINUTES,
    signInIpFailures: env.RATE_LIMIT_SIGNIN_IP_FAILURES,
    signInIpMinutes: env.RATE_LIMIT_SIGNIN_IP_MINUTES,
    signUpPerHour: env.RATE_LIMIT_SIGNUP_PER_HOUR,
    tokenCreatePerHour: env.RATE_LIMIT_TOKEN_CREATE_PER_HOUR,
  };
}

type Limiter = RateLimiterMemory | RateLimiterRedis;

export type TAuthRateLimiterOptions = {
  limits: TAuthLimits;
  /** Shared store (one server or a cluster: each count is one key); absent: this process's memory. */
  redis?: TRedisClient | undefined;
  /** Prefix of every key (Redis, and memory for symmetry). */
  keyPrefix?: string;
};

/** Which rule refused: the account, the client address, sign-up, token creation. */
export type TLimitScope =
  | "signin-account"
  | "signin-ip"
  | "signup-ip"
  | "token-create"
  | "profile-change"
  | "api-call";

type TLimiters = Record<TLimitScope, Limiter>;

function createLimiters(opts: TAuthRateLimiterOptions): TLimiters {
  const prefix = opts.keyPrefix ?? "parley:rl:";
  const make = (scope: TLimitScope, points: number, minutes: number): Limiter => {
    const base = {
      keyPrefix: `${prefix}${scope}`,
      points,
      duration: minutes * 60,
      blockDuration: minutes * 60,
    };
    if (!opts.redis) return new RateLimiterMemory(base);
    return new RateLimiterRedis({
      ...base,
      storeClient: opts.redis,
      // While Redis is unreachable each process keeps counting on its own.
      insuranceLimiter: new RateLimiterMemory(base),
    });
  };
  const l = opts.limits;
  return {
    "signin-account": make("signin-account", l.signInAccountFailures, l.signInAccountMinutes),
    "signin-ip": make("signin-ip", l.signInIpFailures, l.signInIpMinutes),
    "signup-ip": make("signup-ip", l.signUpPerHour, 60),
    "token-create": make("token-create", l.tokenCreatePerHour, 60),
    "profile-change": make("profile-change", l.profileChangesPerHour ?? PROFILE_CHANGES_PER_HOUR, 60),
    "api-call": make("api-call", l.apiCallsPerMinute ?? API_CALLS_PER_MINUTE, 1),
  };
}

/** rate-limiter-flexible rejects with a RateLimiterRes (duck-typed: Next may bundle two copies). */
function isLimiterRes(err: unknown): err is RateLimiterRes {
  return (
    typeof err === "object" &&
    err !== null &&
    !(err instanceof Error) &&
    typeof (err as RateLimiterRes).msBeforeNext === "number" &&
    typeof (err as RateLimiterRes).consumedPoints === "number"
  );
}

export class AuthRateLimiter {
  readonly limits: TAuthLimits;
  readonly #limiters: TLimiters;

  /** `limiters`: share the counters of another instance (see authRateLimiter). */
  constructor(opts: TAuthRateLimiterOptions & { limiters?: TLimiters }) {
    this.limits = opts.limits;
    this.#limiters = opts.limiters ?? createLimiters(opts);
  }

  /**
   * Takes one point from `scope`'s budget for `key`; throws RateLimitedError when it is spent.
   * `onLockout` runs for the call that crossed the limit (the start of a lockout), not later ones.
   */
  async #consume(scope: TLimitScope, key: string, onLockout?: () => Promise<void>): Promise<void> {
    const limiter = this.#limiters[scope];
    try {
      await limiter.consume(key);
    } catch (err) {
      if (!isLimiterRes(err)) throw err;
      if (onLockout && err.consumedPoints === limiter.points + 1) await onLockout().catch(() => undefined);
      throw new RateLimitedError(err.msBeforeNext / 1000);
    }
  }

  /**
   * Counts a sign-in attempt for `email` from `ip` before its password is checked; throws
   * RateLimitedError while the address or the account is locked. The first refusal of each
   * lockout is audit-logged (`auth.lockout`) when `db` is given.
   */
  async beginSignIn(
    db: TDb | null,
    input: { email: string; ip?: string | undefined; userAgent?: string | undefined },
  ): Promise<void> {
    const email = input.email.trim().toLowerCase();
    const record = (scope: TLimitScope, minutes: number) => async () => {
      if (!db) return;
      const user = await db.user.findUnique({ where: { email }, select: { id: true } });
      const isAccount = scope === "signin-account";
      await recordAudit(db, {
        action: "auth.lockout",
        actorId: null,
        actorLabel: email,
        target: isAccount
          ? { type: "account", id: user?.id ?? null, label: email }
          : { type: "address", id: input.ip ?? null, label: input.ip ?? null },
        origin: { ip: input.ip, userAgent: input.userAgent },
        details: { scope, email, userId: user?.id ?? null, lockedMinutes: minutes },
      });
    };
    if (input.ip) {
      await this.#consume("signin-ip", input.ip, record("signin-ip", this.limits.signInIpMinutes));
    }
    await this.#consume("signin-account", email, record("signin-account", this.limits.signInAccountMinutes));
  }

  /** A sign-in succeeded: the account's failures are forgotten and the address gets its point back. */
  async signInSucceeded(input: { email: string; ip?: string | undefined }): Promise<void> {
    const email = input.email.trim().toLowerCase();
    await this.#limiters["signin-account"].delete(email);
    if (input.ip) await this.#limiters["signin-ip"].reward(input.ip, 1);
  }

  /** Counts a sign-up attempt (with or without an invite) from `ip`; throws when over the hourly budget. */
  async beginSignUp(input: { ip?: string | undefined }): Promise<void> {
    if (input.ip) await this.#consume("signup-ip", input.ip);
  }

  /** Counts a personal access token creation by `userId`; throws when over the hourly budget. */
  async beginTokenCreate(input: { userId: string }): Promise<void> {
    await this.#consume("token-create", input.userId);
  }

  /** Counts a Slack-compatible API call made with the token `tokenId`; throws when over the minute's budget. */
  async beginApiCall(input: { tokenId: string }): Promise<void> {
    await this.#consume("api-call", input.tokenId);
  }

  /** Counts a profile or avatar change made by `userId`; throws when over the hourly budget. */
  async beginProfileChange(input: { userId: string }): Promise<void> {
    await this.#consume("profile-change", input.userId);
  }
}

const GLOBAL_KEY = Symbol.for("parley.authRateLimiter");
type TGlobalSlot = { signature: string; limiters: TLimiters };

/**
 * This process's limiter for its settings. The counters live on globalThis so every module
 * instance shares them (Next's bundles hold their own copies of core; the counts must be one),
 * while each copy wraps them in its own class, so errors are that copy's RateLimitedError.
 * Redis when REDIS_URL is set (one server or a Redis Cluster: each count is one key, so any slot).
 */
export function authRateLimiter(env: TEnv): AuthRateLimiter {
  const limits = authLimitsFrom(env);
  const signature = JSON.stringify([env.REDIS_URL ?? null, env.REDIS_KEY_PREFIX, limits]);
  const g = globalThis as { [GLOBAL_KEY]?: TGlobalSlot };
  let slot = g[GLOBAL_KEY];
  if (slot?.signature !== signature) {
    const redis = env.REDIS_URL
      ? createRedisClient(env.REDIS_URL, {
          redisOptions: { enableOfflineQueue: false, maxRetriesPerRequest: 1 },
        })
      : undefined;
    redis?.on("error", () => undefined); // the insurance limiter covers outages; ioredis reconnects
    slot = {
      signature,
      limiters: createLimiters({ limits, redis, keyPrefix: `${env.REDIS_KEY_PREFIX}rl:` }),
    };
    g[GLOBAL_KEY] = slot;
  }
  return new AuthRateLimiter({ limits, limiters: slot.limiters });
}

/** True for a RateLimitedError from any copy of this module (Next may bundle several). */
export function isRateLimited(err: unknown): err is RateLimitedError {
  return (
    err instanceof Error &&
    (err as { code?: unknown }).code === "TOO_MANY_REQUESTS" &&
    typeof (err as { retryAfterSeconds?: unknown }).retryAfterSeconds === "number"
  );
}
