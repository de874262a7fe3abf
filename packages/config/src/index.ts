/**
 * Parley's settings: every environment variable any process reads is declared here, once,
 * with its default and a description (mirrored in .env.example). Apps call `loadEnv()` at start;
 * a wrong value stops the process with a message naming the variable.
 */
import { MAX_BODY_LENGTH } from "@parley/protocol";
import proxyaddr from "proxy-addr";
import { z } from "zod";
import {
  DEFAULT_LARGE_CHANNEL_THRESHOLD,
  DEFAULT_LINK_PREVIEW_MAX_BYTES,
  DEFAULT_LINK_PREVIEW_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_LENGTH,
  DEFAULT_MAX_UPLOAD_BYTES,
  DEFAULT_PENDING_UPLOAD_TTL_MINUTES,
  DEFAULT_RATE_LIMIT_COMMANDS_PER_SECOND,
  DEFAULT_RATE_LIMIT_MESSAGES_PER_SECOND,
  DEFAULT_SEND_BATCH_GATHER_MS,
  DEFAULT_SEND_BATCH_IN_FLIGHT,
  DEFAULT_SEND_BATCH_MAX,
  DEFAULT_UPLOAD_BLOCKED_TYPES,
} from "./defaults.ts";
import { parseRedisUrl } from "./redis-url.ts";
import { ZBool, ZUrl } from "./schema-parts.ts";
import { SSO_SETTINGS } from "./sso-settings.ts";

export * from "./defaults.ts";
export {
  isRedisClusterUrl,
  parseRedisUrl,
  type TClusterPubSub,
  type TRedisNode,
  type TRedisTarget,
} from "./redis-url.ts";

/**
 * Which peers may tell us the client's address in X-Forwarded-For (Express's "trust proxy",
 * evaluated by `proxy-addr`): `false` (default: never; the client is the TCP peer), `true`
 * (every hop: only when nothing but your proxy can reach the server), a number of hops, or a
 * comma-separated list of addresses, CIDRs and the names loopback, linklocal, uniquelocal.
 */
export type TTrustProxy = boolean | number | string[];

const ZTrustProxy = z.string().transform((raw, ctx): TTrustProxy => {
  const v = raw.trim().toLowerCase();
  if (["false", "0", "no", "off"].includes(v)) return false;
  if (["true", "yes", "on"].includes(v)) return true;
  if (/^[1-9][0-9]?$/.test(v)) return Number(v);
  const list = v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  try {
    proxyaddr.compile(list);
  } catch (err) {
    ctx.addIssue({
      code: "custom",
      message: `must be false, true, a hop count or a list of addresses/CIDRs/loopback/linklocal/uniquelocal (${(err as Error).message})`,
    });
    return z.NEVER;
  }
  return list;
});

/** A positive whole number of attempts or minutes. */
/** A comma-separated list: entries trimmed and lower-cased, empty ones dropped. */
const ZLowerList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v) =>
      v
        .split(",")
        .map((t) => t.trim().toLowerCase())
        .filter((t) => t.length > 0),
    );
const ZCount = (max: number) => z.coerce.number().int().min(1).max(max);

/**
 * Every setting, once: its validation, its default and (last in each chain, so it is the
 * field's own) its description, `.meta({ …, secret: true })` for values that must never be
 * shown or logged. docs/self-hosting.md's settings table is rendered from this
 * (`npm run docs:settings`; settings-doc.test.ts fails when it is stale or a setting has no
 * description); .env.example lists the same names (env-example.test.ts).
 */
export const ZEnv = z.object({
  NODE_ENV: z
    .enum(["development", "production", "test"])
    .default("development")
    .describe("`development`, `production` or `test`; `npm start` sets `production`."),
  DATABASE_URL: ZUrl(["postgres", "postgresql"]).describe(
    "Postgres connection string. `npm start` runs an embedded PostgreSQL (in `PARLEY_DATA_DIR`) when it is unset.",
  ),
  // `redis://host:6379` (one server) or `redis+cluster://host:port,host:port` (see redis-url.ts).
  REDIS_URL: z
    .string()
    .superRefine((v, ctx) => {
      try {
        parseRedisUrl(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    })
    .optional()
    .describe(
      "Redis (`redis://…`) or a Redis Cluster (`redis+cluster://host:port,…`) for multi-gateway routing, pub/sub, presence and shared rate limits. Unset: the in-process memory engine (one gateway).",
    ),
  // No braces: on a cluster the `{…}` hash tags in key names are Parley's (one slot per user).
  REDIS_KEY_PREFIX: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[^{}]*$/, "must not contain { or } (Parley's own Redis Cluster hash tags follow it)")
    .default("parley:")
    .describe(
      "Prefix of every Redis key and channel, so several installs can share one Redis; no `{` or `}`.",
    ),
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters (try: openssl rand -base64 32)").meta({
    description:
      "Signs sessions and realtime tickets; at least 32 characters. `npm start` generates one into `PARLEY_DATA_DIR/auth-secret` when it is unset.",
    secret: true,
  }),
  PUBLIC_URL: ZUrl(["http", "https"])
    .default("http://localhost:3000")
    .describe("The origin users open in the browser, e.g. `https://chat.example.com`."),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe("Port of the web server."),
  REALTIME_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(3001)
    .describe(
      "Port of a separately run gateway (apps/realtime); unused while it is embedded in the web server.",
    ),
  REALTIME_PUBLIC_URL: ZUrl(["ws", "wss"])
    .optional()
    .describe(
      "WebSocket URL browsers connect to (the gateway, or the proxy in front of it). Unset: PUBLIC_URL with `ws(s)://` and `/ws`, the gateway embedded in the web server.",
    ),
  REALTIME_EMBEDDED: ZBool.default(true).describe(
    "Run the gateway inside the web server on `/ws`; `false`: run apps/realtime separately (several gateways need REDIS_URL).",
  ),
  ...SSO_SETTINGS,
  // Each process's indexer is woken by the writes it commits; indexers share the work through an
  // advisory lock, so `false` only moves the indexing to the others (they find it on their next poll).
  SEARCH_INDEXER: ZBool.default(true).describe(
    "Run a search indexer in this process; processes share the work, `false` leaves it to the others.",
  ),
  LINK_PREVIEWS: ZBool.default(true).describe(
    "Run the link previewer in this process (fetches the first URL of new messages); processes share the work, `false` leaves it to the others. Admins turn previews off for the workspace in Settings.",
  ),
  LINK_PREVIEW_ALLOW_HOSTS: ZLowerList("").describe(
    "Comma-separated `host` or `host:port` entries link previews may fetch even on private, loopback or other internal addresses (default none: only public addresses on ports 80/443).",
  ),
  LINK_PREVIEW_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(DEFAULT_LINK_PREVIEW_TIMEOUT_MS)
    .describe("A link preview's fetch, redirects included, is abandoned after this many milliseconds."),
  LINK_PREVIEW_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(10 * 1024 * 1024)
    .default(DEFAULT_LINK_PREVIEW_MAX_BYTES)
    .describe(
      "Most bytes of a page a link preview reads (its <head> is enough; the rest is never downloaded).",
    ),
  LARGE_CHANNEL_THRESHOLD: z.coerce
    .number()
    .int()
    .min(2)
    .max(1_000_000)
    .default(DEFAULT_LARGE_CHANNEL_THRESHOLD)
    .describe(
      "Channels with more members than this are fanned out on read (one publish per gateway topic, not per member).",
    ),
  SEND_BATCH_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(DEFAULT_SEND_BATCH_MAX)
    .describe(
      "Group commit: most sends stored by one statement (one transaction, one WAL flush); 1 stores every send on its own.",
    ),
  SEND_BATCH_IN_FLIGHT: z.coerce
    .number()
    .int()
    .min(1)
    .max(16)
    .default(DEFAULT_SEND_BATCH_IN_FLIGHT)
    .describe(
      "Group commit: batches running at once (each holds one pooled connection); the second starts only beside one that has run 25 ms.",
    ),
  SEND_BATCH_GATHER_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(100)
    .default(DEFAULT_SEND_BATCH_GATHER_MS)
    .describe(
      "Group commit: under load (after a batch of 8 or more sends) the next statement waits this many ms for more sends to join it (fewer statements and less CPU per message, for a higher latency); 0 (the default) never waits. A quiet server sends each message at once either way.",
    ),
  PRESENCE_REFRESH_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(300)
    .default(10)
    .describe(
      "How often a gateway renews its sockets' routes and presence; a killed gateway's users show offline within about 3× this.",
    ),
  MAX_MESSAGE_LENGTH: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_BODY_LENGTH)
    .default(DEFAULT_MAX_MESSAGE_LENGTH)
    .describe(`Longest message body, in characters (after trimming); at most ${MAX_BODY_LENGTH}.`),
  STORAGE_DIR: z
    .string()
    .default("./data/files")
    .describe("Directory of the attachments while S3_ENDPOINT is unset."),
  S3_ENDPOINT: z
    .string()
    .optional()
    .describe(
      "S3/MinIO host name; when set, attachments are stored there (needs S3_ACCESS_KEY, S3_SECRET_KEY).",
    ),
  S3_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe("Port of S3_ENDPOINT. Unset: 443 with S3_USE_SSL, else 80."),
  S3_USE_SSL: ZBool.default(false).describe("Talk to S3_ENDPOINT over HTTPS."),
  S3_ACCESS_KEY: z.string().optional().describe("S3 access key (required with S3_ENDPOINT)."),
  S3_SECRET_KEY: z
    .string()
    .optional()
    .meta({ description: "S3 secret key (required with S3_ENDPOINT).", secret: true }),
  S3_BUCKET: z.string().default("parley").describe("Bucket the attachments go to."),
  S3_REGION: z.string().default("us-east-1").describe("Region of the bucket."),
  S3_PATH_STYLE: ZBool.default(true).describe(
    "Address the bucket as `host/bucket` (MinIO); `false`: as `bucket.host` (virtual-hosted style).",
  ),
  S3_PUBLIC_URL: ZUrl(["http", "https"])
    .optional()
    .describe(
      "Base URL browsers reach the S3 server at, when it differs from S3_ENDPOINT (e.g. `https://files.example.com` in front of `minio:9000`); presigned URLs are made for it.",
    ),
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(5 * 1024 ** 4)
    .default(DEFAULT_MAX_UPLOAD_BYTES)
    .describe(
      "Largest attachment, in bytes: the workspace's default, and the ceiling no limit its admins set (Settings → Uploads) may exceed.",
    ),
  // Checked against the declared type, the file name's extension and the type detected from the bytes.
  UPLOAD_BLOCKED_TYPES: ZLowerList(DEFAULT_UPLOAD_BLOCKED_TYPES.join(",")).describe(
    "Comma-separated MIME types refused as attachments (default: executables and scripts); a list the workspace's admins set (Settings → Uploads) replaces it.",
  ),
  PENDING_UPLOAD_TTL_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(DEFAULT_PENDING_UPLOAD_TTL_MINUTES)
    .describe("Uploads not attached to a message within this many minutes are deleted by the sweeper."),
  TRUST_PROXY: ZTrustProxy.default(false).describe(
    "Whose X-Forwarded-For is believed: `false` (the client is the TCP peer), a comma-separated list of addresses/CIDRs/`loopback`/`linklocal`/`uniquelocal`, a hop count, or `true` (every hop; only when nothing but your proxy can reach Parley).",
  ),
  // Sign-in brute-force protection (rate-limiter-flexible; in Redis when REDIS_URL is set, so all
  // processes share the counts).
  RATE_LIMIT_SIGNIN_ACCOUNT_FAILURES: ZCount(10_000)
    .default(10)
    .describe("Failed sign-ins per account (e-mail) before it is locked."),
  RATE_LIMIT_SIGNIN_ACCOUNT_MINUTES: ZCount(7 * 24 * 60)
    .default(15)
    .describe(
      "Minutes an account's failed sign-ins are counted over, and then locked for; a successful sign-in resets the count.",
    ),
  RATE_LIMIT_SIGNIN_IP_FAILURES: ZCount(1_000_000)
    .default(100)
    .describe("Failed sign-ins per client address (any accounts) before the address is locked."),
  RATE_LIMIT_SIGNIN_IP_MINUTES: ZCount(7 * 24 * 60)
    .default(60)
    .describe("Minutes an address's failed sign-ins are counted over, and then locked for."),
  RATE_LIMIT_COMMANDS_PER_SECOND: ZCount(100_000)
    .default(DEFAULT_RATE_LIMIT_COMMANDS_PER_SECOND)
    .describe(
      "Realtime commands (sends, typing, reads, …) one WebSocket connection may make per second, in bursts of up to 3× this; over it a command is refused with TOO_MANY_REQUESTS (the SDK retries), and a client that keeps going is disconnected.",
    ),
  RATE_LIMIT_MESSAGES_PER_SECOND: ZCount(100_000)
    .default(DEFAULT_RATE_LIMIT_MESSAGES_PER_SECOND)
    .describe(
      "Messages one user may send per second over all their connections to a gateway, in bursts of up to 2× this; a send over it is refused with TOO_MANY_REQUESTS and stores nothing (the SDK resends it later).",
    ),
  RATE_LIMIT_SIGNUP_PER_HOUR: ZCount(1_000_000)
    .default(20)
    .describe("Sign-up attempts (with or without an invite) per client address per hour."),
  RATE_LIMIT_TOKEN_CREATE_PER_HOUR: ZCount(1_000_000)
    .default(20)
    .describe("Personal access tokens a user may create per hour."),
  SLASH_COMMAND_ALLOW_HOSTS: ZLowerList("").describe(
    "Comma-separated `host` or `host:port` entries slash-command callbacks may reach even on private, loopback or other internal addresses (default none: only public addresses).",
  ),
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{80,100}$/, "must be a base64url P-256 public key")
    .optional()
    .describe(
      "Web push (VAPID) public key, base64url as `npx web-push generate-vapid-keys` prints it. Unset (with VAPID_PRIVATE_KEY): a pair is generated once and kept in the database.",
    ),
  VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{40,50}$/, "must be a base64url P-256 private key")
    .optional()
    .meta({ description: "The private key of that pair: set both, or neither.", secret: true }),
  VAPID_SUBJECT: ZUrl(["mailto", "https"])
    .optional()
    .describe(
      "Who push services may contact about this server (`mailto:` or `https:`). Unset: PUBLIC_URL when it is https, else `mailto:parley@` its host.",
    ),
  SMTP_HOST: z
    .string()
    .min(1)
    .optional()
    .describe("SMTP server for notification and invite e-mails; unset: no e-mail is sent."),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587).describe("Port of SMTP_HOST."),
  SMTP_SECURE: ZBool.default(false).describe(
    "TLS from the first byte (port 465); `false`: STARTTLS when the server offers it.",
  ),
  SMTP_USER: z.string().optional().describe("SMTP user name; unset: no authentication."),
  SMTP_PASSWORD: z.string().optional().meta({ description: "SMTP password.", secret: true }),
  SMTP_FROM: z
    .string()
    .min(3)
    .optional()
    .describe("The From: of Parley's e-mails. Unset: `Parley <parley@…>` at PUBLIC_URL's host."),
  EMAIL_NOTIFY_DELAY_MINUTES: ZCount(7 * 24 * 60)
    .default(10)
    .describe("DMs and mentions still unread this many minutes after they were sent are e-mailed (batched)."),
  // pino JSON lines on stdout, `requestId` on every line of an HTTP request, `connectionId` on
  // every line about a socket; secrets, cookies, tokens and message bodies are never written.
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info")
    .describe(
      "Lowest level the servers log (pino JSON on stdout): `fatal` `error` `warn` `info` `debug` (adds socket open/close/error) `trace` `silent`.",
    ),
  METRICS_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .describe(
      "Serve Prometheus metrics (`GET /metrics`) on this port, never on the public one; each process needs its own, 0 picks a free one. Unset: no metrics.",
    ),
  METRICS_HOST: z
    .string()
    .min(1)
    .default("127.0.0.1")
    .describe("Interface the metrics port binds to; any but loopback requires METRICS_TOKEN."),
  METRICS_TOKEN: z
    .string()
    .min(16, "must be at least 16 characters (try: openssl rand -hex 24)")
    .optional()
    .meta({
      description:
        "Bearer token `/metrics` then requires (`Authorization: Bearer …`); at least 16 characters.",
      secret: true,
    }),
});

/** Settings whose values are secrets (`secret: true` above): never shown, censored in logs. */
export const SECRET_SETTINGS: readonly string[] = Object.entries(ZEnv.shape)
  .filter(([, schema]) => z.globalRegistry.get(schema)?.secret === true)
  .map(([name]) => name);

/** True for a loopback interface name or address (what METRICS_HOST may be without a token). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The validated settings; REALTIME_PUBLIC_URL is always set (derived when not configured). */
export type TEnv = Omit<z.infer<typeof ZEnv>, "REALTIME_PUBLIC_URL"> & { REALTIME_PUBLIC_URL: string };

/** The embedded gateway's public URL for an origin: http→ws, https→wss, path `/ws`. */
export function realtimeUrlFor(publicUrl: string): string {
  const url = new URL(publicUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/ws`;
  url.search = "";
  url.hash = "";
  return url.toString();
}

/** Thrown by `loadEnv` with one line per wrong variable. */
export class EnvError extends Error {
  override name = "EnvError";
}

/** Parses and validates the environment once; throws EnvError naming each bad variable. */
export function parseEnv(source: Record<string, string | undefined>): TEnv {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = ZEnv.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new EnvError(`Invalid Parley settings:\n${lines.join("\n")}\nSee .env.example for every setting.`);
  }
  const env: TEnv = {
    ...result.data,
    REALTIME_PUBLIC_URL: result.data.REALTIME_PUBLIC_URL ?? realtimeUrlFor(result.data.PUBLIC_URL),
  };
  if (env.S3_ENDPOINT && !(env.S3_ACCESS_KEY && env.S3_SECRET_KEY)) {
    throw new EnvError(
      "Invalid Parley settings:\n  S3_ACCESS_KEY/S3_SECRET_KEY: required when S3_ENDPOINT is set",
    );
  }
  if (env.METRICS_PORT !== undefined && !env.METRICS_TOKEN && !isLoopbackHost(env.METRICS_HOST)) {
    throw new EnvError(
      `Invalid Parley settings:\n  METRICS_TOKEN: required when METRICS_HOST (${env.METRICS_HOST}) is not a loopback address`,
    );
  }
  if (env.OIDC_ISSUER && !(env.OIDC_CLIENT_ID && env.OIDC_CLIENT_SECRET)) {
    throw new EnvError(
      "Invalid Parley settings:\n  OIDC_CLIENT_ID/OIDC_CLIENT_SECRET: required when OIDC_ISSUER is set",
    );
  }
  if (Boolean(env.VAPID_PUBLIC_KEY) !== Boolean(env.VAPID_PRIVATE_KEY)) {
    throw new EnvError(
      "Invalid Parley settings:\n  VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY: set both, or neither (a pair is then generated)",
    );
  }
  return env;
}

let cached: TEnv | undefined;

/** The validated settings of this process (parsed on first use). */
export function loadEnv(): TEnv {
  cached ??= parseEnv(process.env);
  return cached;
}
