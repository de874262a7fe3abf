import { createHash, randomBytes } from "node:crypto";

/**
 * A UUIDv7 (time-ordered), the same format Prisma's `uuid(7)` default produces. Needed where rows
 * are inserted with raw SQL, which bypasses Prisma's client-side defaults.
 */
export function uuidv7(now: number = Date.now()): string {
  const b = randomBytes(16);
  let ts = now;
  for (let i = 5; i >= 0; i--) {
    b[i] = ts % 256;
    ts = Math.floor(ts / 256);
  }
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
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
