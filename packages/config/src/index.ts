/**
 * Parley's settings: every environment variable any process reads is declared here, once,
 * with its default and a description (mirrored in .env.example). Apps call `loadEnv()` at start;
 * a wrong value stops the process with a message naming the variable.
 */
import { z } from "zod";

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

export const ZEnv = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Postgres connection string. `npm start` runs an embedded PostgreSQL when it is unset. */
  DATABASE_URL: ZUrl(["postgres", "postgresql"]),
  /** Redis for multi-gateway routing, pub/sub and presence. Unset: the in-process memory engine. */
  REDIS_URL: ZUrl(["redis", "rediss"]).optional(),
  /** Secret that signs sessions and realtime tickets (at least 32 characters). */
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters (try: openssl rand -base64 32)"),
  /** The origin users open in the browser, e.g. https://chat.example.com. */
  PUBLIC_URL: ZUrl(["http", "https"]).default("http://localhost:3000"),
  /** Port of the web app. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Port of the realtime gateway. */
  REALTIME_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  /** WebSocket URL browsers connect to (the gateway, or the proxy in front of it). */
  REALTIME_PUBLIC_URL: ZUrl(["ws", "wss"]).default("ws://localhost:3001"),
  /** Channels with more members than this are fanned out on read (one publish per gateway topic). */
  LARGE_CHANNEL_THRESHOLD: z.coerce.number().int().min(2).max(1_000_000).default(200),
  /** Longest message body, in characters. */
  MAX_MESSAGE_LENGTH: z.coerce.number().int().min(1).max(100_000).default(40_000),
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
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type TEnv = z.infer<typeof ZEnv>;

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
  const env = result.data;
  if (env.S3_ENDPOINT && !(env.S3_ACCESS_KEY && env.S3_SECRET_KEY)) {
    throw new EnvError(
      "Invalid Parley settings:\n  S3_ACCESS_KEY/S3_SECRET_KEY: required when S3_ENDPOINT is set",
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
