import { hash, verify } from "@node-rs/argon2";

/** Argon2id hash of a password (library defaults: OWASP-recommended m=19 MiB, t=2). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** True when `password` matches `passwordHash`; false (not a throw) for a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/** Spends the same work as a real check, so an unknown e-mail is not told apart by timing. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hash("parley-dummy-password-for-timing");
  await verifyPassword(await dummyHash, password);
}
