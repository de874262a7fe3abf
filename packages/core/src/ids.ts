import { createHash, randomBytes, randomUUID } from "node:crypto";

/**
 * A UUIDv7 (time-ordered), the same format Prisma's `uuid(7)` default produces. Needed where rows
 * are inserted with raw SQL, which bypasses Prisma's client-side defaults.
 */
export function uuidv7(now: number = Date.now()): string {
  // The random bits come from randomUUID (a v4: Node serves it from a cached pool of random bytes,
  // not one getrandom call per id as randomBytes(16) was — 4 % of the gateway's CPU at 4,000 sends/s).
  const r = randomUUID();
  const ts = now.toString(16).padStart(12, "0");
  // v4 layout xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx (V: variant 8–b): keep its variant and random
  // tail, put the 48-bit millisecond timestamp first and the version 7 in place of the 4.
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${r.slice(15, 18)}-${r.slice(19)}`;
}

/** Hex SHA-256, used to store secrets (tokens, invites) without storing the secret itself. */
export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** A random URL-safe secret of `bytes` bytes of entropy. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** True when `value` looks like a UUID (any version); guards raw SQL casts against garbage. */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
