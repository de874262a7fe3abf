/**
 * Parley's settings: every environment variable any process reads is declared here, once,
 * with its default and a description (mirrored in .env.example). Apps call `loadEnv()` at start;
 * a wrong value stops the process with a message naming the variable.
 */
import { MAX_BODY_LENGTH } from "@parley/protocol";
import proxyaddr from "proxy-addr";
import { z } from "zod";
import { parseRedisUrl } from "./redis-url.ts";

export {
  isRedisClusterUrl,
  parseRedisUrl,
  type TClusterPubSub,
  type TRedisNode,
  type TRedisTarget,
} from "./redis-url.ts";

const ZBool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const ZUrl = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((v) => protocols.some((p) => v.startsWith(`${p}:`)), {
      message: `must start with ${protocols.map((p) => `${p}://`).join(" or ")}`,
    });

// Defaults of the settings other packages also need (core's limits, fan-out and group commit):
// defined here only, imported there. Wire hard limits (MAX_BODY_LENGTH, …) live in @parley/protocol.

/** Longest message body unless MAX_MESSAGE_LENGTH says otherwise (its ceiling is protocol's MAX_BODY_LENGTH). */
export const DEFAULT_MAX_MESSAGE_LENGTH = 40_000;

/** Members above which a conversation is fanned out on read, unless LARGE_CHANNEL_THRESHOLD says otherwise. */
export const DEFAULT_LARGE_CHANNEL_THRESHOLD = 200;

/** Group commit: most sends per statement, unless SEND_BATCH_MAX says otherwise. */
export const DEFAULT_SEND_BATCH_MAX = 256;

/** Group commit: batches at once, unless SEND_BATCH_IN_FLIGHT says otherwise (one checked while one commits). */
export const DEFAULT_SEND_BATCH_IN_FLIGHT = 2;

/** Largest attachment unless MAX_UPLOAD_BYTES says otherwise: 100 MiB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

/** Minutes an upload may stay unattached before it is swept, unless PENDING_UPLOAD_TTL_MINUTES says otherwise. */
export const DEFAULT_PENDING_UPLOAD_TTL_MINUTES = 60;

/** Executable and script types refused as attachments unless UPLOAD_BLOCKED_TYPES says otherwise. */
export const DEFAULT_UPLOAD_BLOCKED_TYPES: readonly string[] = [
  "application/x-msdownload",
  "application/x-msdos-program",
  "application/x-ms-installer",
  "application/x-msi",
  "application/vnd.microsoft.portable-executable",
  "application/x-dosexec",
  "application/x-executable",
  "application/x-elf",
  "application/x-sharedlib",
  "application/x-mach-binary",
  "application/x-apple-diskimage",
  "application/vnd.android.package-archive",
  "application/java-archive",
  "application/x-sh",
  "application/x-shellscript",
  "application/x-csh",
  "application/x-bat",
  "application/x-msbatch",
  "application/x-powershell",
  "application/hta",
  "application/x-ms-shortcut",
  "text/vbscript",
  "application/javascript",
  "text/javascript",
];

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
const ZCount = (max: number) => z.coerce.number().int().min(1).max(max);

export const ZEnv = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Postgres connection string. `npm start` runs an embedded PostgreSQL when it is unset. */
  DATABASE_URL: ZUrl(["postgres", "postgresql"]),
  /**
   * Redis for multi-gateway routing, pub/sub, presence and shared rate limits. Unset: the
   * in-process memory engine. `redis://host:6379` (one server) or
   * `redis+cluster://host:port,host:port` (a Redis Cluster; see redis-url.ts).
   */
  REDIS_URL: z
    .string()
    .superRefine((v, ctx) => {
      try {
        parseRedisUrl(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    })
    .optional(),
  /**
   * Prefix of every Redis key and channel, so several installs (or test runs) can share one Redis.
   * No braces: on a cluster the `{…}` hash tags in key names are Parley's (one slot per user).
   */
  REDIS_KEY_PREFIX: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[^{}]*$/, "must not contain { or } (Parley's own Redis Cluster hash tags follow it)")
    .default("parley:"),
  /** Secret that signs sessions and realtime tickets (at least 32 characters). */
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters (try: openssl rand -base64 32)"),
  /** The origin users open in the browser, e.g. https://chat.example.com. */
  PUBLIC_URL: ZUrl(["http", "https"]).default("http://localhost:3000"),
  /** Port of the web app. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Port of a separately run realtime gateway (apps/realtime); unused when it is embedded in web. */
  REALTIME_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  /**
   * WebSocket URL browsers connect to (the gateway, or the proxy in front of it). Unset: derived
   * from PUBLIC_URL (http→ws, https→wss, + `/ws`), i.e. the gateway embedded in the web server.
   */
  REALTIME_PUBLIC_URL: ZUrl(["ws", "wss"]).optional(),
  /** Run the gateway inside the web server on `/ws` (default). `false`: run apps/realtime separately. */
  REALTIME_EMBEDDED: ZBool.default(true),
  /**
   * Run a search indexer in this process (default). Each process's indexer is woken by the writes
   * it commits; indexers share the work through an advisory lock, so `false` on some processes
   * (e.g. gateways on a busy box) only moves the indexing to the others, which find those writes
   * on their next poll.
   */
  SEARCH_INDEXER: ZBool.default(true),
  /** Channels with more members than this are fanned out on read (one publish per gateway topic). */
  LARGE_CHANNEL_THRESHOLD: z.coerce
    .number()
    .int()
    .min(2)
    .max(1_000_000)
    .default(DEFAULT_LARGE_CHANNEL_THRESHOLD),
  /**
   * Group commit: most sends stored by one statement (one transaction, one WAL flush); 1 stores
   * every send on its own.
   */
  SEND_BATCH_MAX: z.coerce.number().int().min(1).max(1000).default(DEFAULT_SEND_BATCH_MAX),
  /** Group commit: batches running at once (each holds one pooled connection). */
  SEND_BATCH_IN_FLIGHT: z.coerce.number().int().min(1).max(16).default(DEFAULT_SEND_BATCH_IN_FLIGHT),
  /** Longest message body, in characters (after trimming); at most protocol's MAX_BODY_LENGTH. */
  MAX_MESSAGE_LENGTH: z.coerce.number().int().min(1).max(MAX_BODY_LENGTH).default(DEFAULT_MAX_MESSAGE_LENGTH),
  /** Where local-disk attachments live when no S3 endpoint is set. */
  STORAGE_DIR: z.string().default("./data/files"),
  /** S3/MinIO endpoint host; when set, attachments go to S3. */
  S3_ENDPOINT: z.string().optional(),
  S3_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  S3_USE_SSL: ZBool.default(false),
  S3_ACCESS_KEY: z.string().optional(),
  S3_SECRET_KEY: z.string().optional(),
  S3_BUCKET: z.string().default("parley"),
  S3_REGION: z.string().default("us-east-1"),
  S3_PATH_STYLE: ZBool.default(true),
  /**
   * Lowest level the servers log (pino JSON lines on stdout, one object per line, with `requestId`
   * on every line of an HTTP request and `connectionId` on every line about a socket; secrets,
   * cookies, tokens and message bodies are never written). `debug` adds a line per socket open,
   * close and error.
   */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /**
   * Base URL browsers reach the S3 server at when it differs from S3_ENDPOINT (e.g.
   * https://files.example.com in front of minio:9000); presigned URLs are made for it.
   */
  S3_PUBLIC_URL: ZUrl(["http", "https"]).optional(),
  /**
   * Largest attachment, in bytes (default 100 MiB): the workspace's default, and the ceiling no
   * limit set by its admins (Settings → Uploads) may exceed.
   */
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(5 * 1024 ** 4)
    .default(DEFAULT_MAX_UPLOAD_BYTES),
  /**
   * Comma-separated MIME types refused as attachments (checked against the declared type, the
   * file name's extension and the type detected from the bytes). Default: executables and scripts.
   * The workspace's default: a list set by its admins (Settings → Uploads) replaces it.
   */
  UPLOAD_BLOCKED_TYPES: z
    .string()
    .default(DEFAULT_UPLOAD_BLOCKED_TYPES.join(","))
    .transform((v) =>
      v
        .split(",")
        .map((t) => t.trim().toLowerCase())
        .filter((t) => t.length > 0),
    ),
  /** Uploads not attached to a message within this many minutes are deleted by the sweeper. */
  PENDING_UPLOAD_TTL_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(DEFAULT_PENDING_UPLOAD_TTL_MINUTES),
  /** Which proxies' X-Forwarded-For is believed (see TTrustProxy). Default: none. */
  TRUST_PROXY: ZTrustProxy.default(false),
  /**
   * Sign-in brute-force protection (rate-limiter-flexible; in Redis when REDIS_URL is set, so all
   * processes share the counts). Failed sign-ins per account (e-mail) before it is locked …
   */
  RATE_LIMIT_SIGNIN_ACCOUNT_FAILURES: ZCount(10_000).default(10),
  /** … counted over, and then locked for, this many minutes. A successful sign-in resets the count. */
  RATE_LIMIT_SIGNIN_ACCOUNT_MINUTES: ZCount(7 * 24 * 60).default(15),
  /** Failed sign-ins per client address (any accounts) before the address is locked … */
  RATE_LIMIT_SIGNIN_IP_FAILURES: ZCount(1_000_000).default(100),
  /** … counted over, and then locked for, this many minutes. */
  RATE_LIMIT_SIGNIN_IP_MINUTES: ZCount(7 * 24 * 60).default(60),
  /** Sign-up attempts (with or without an invite) per client address per hour. */
  RATE_LIMIT_SIGNUP_PER_HOUR: ZCount(1_000_000).default(20),
  /** Personal access tokens a user may create per hour. */
  RATE_LIMIT_TOKEN_CREATE_PER_HOUR: ZCount(1_000_000).default(20),
  /**
   * Web push (VAPID) key pair, base64url as `npx web-push generate-vapid-keys` prints it. Unset:
   * a pair is generated once and kept in the database (VapidKeys), so nothing needs configuring.
   */
  VAPID_PUBLIC_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{80,100}$/, "must be a base64url P-256 public key")
    .optional(),
  VAPID_PRIVATE_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{40,50}$/, "must be a base64url P-256 private key")
    .optional(),
  /** Who push services may contact about this server: mailto: or https:. Unset: from PUBLIC_URL. */
  VAPID_SUBJECT: ZUrl(["mailto", "https"]).optional(),
  /** SMTP server for e-mail notifications; unset: no e-mail is sent. */
  SMTP_HOST: z.string().min(1).optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  /** TLS from the first byte (port 465); false: STARTTLS when the server offers it. */
  SMTP_SECURE: ZBool.default(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  /** The From: of notification e-mails. Unset: Parley <parley@PUBLIC_URL's host>. */
  SMTP_FROM: z.string().min(3).optional(),
  /** DMs and mentions still unread this many minutes after they were sent are e-mailed (batched). */
  EMAIL_NOTIFY_DELAY_MINUTES: ZCount(7 * 24 * 60).default(10),
  /**
   * Prometheus metrics (`GET /metrics`) on a port of their own, never on the public one. Unset: no
   * metrics listener. Each process (web, every gateway) needs its own port; 0 picks a free one.
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Interface the metrics port binds to: loopback by default; any other needs METRICS_TOKEN. */
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  /** Bearer token `/metrics` then requires (`Authorization: Bearer <token>`); at least 16 characters. */
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters (try: openssl rand -hex 24)").optional(),
});

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
