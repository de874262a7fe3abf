/**
 * The configured attachment storage, created once per configuration per process. It lives on
 * globalThis because Next's bundle and the custom server may hold two copies of this module.
 */
import { createStorage, type TStorage, type TStorageEnv } from "@parley/storage";

/** The settings the file services read; `TEnv` from @parley/config fits. */
export type TFilesEnv = TStorageEnv & {
  S3_PUBLIC_URL?: string;
  MAX_UPLOAD_BYTES: number;
  UPLOAD_BLOCKED_TYPES: readonly string[];
  PENDING_UPLOAD_TTL_MINUTES: number;
};

// One storage per configuration per process, on globalThis for the same reason as the event sink
// (Next's bundle and the custom server may hold two copies of this module).
const STORAGE_KEY = Symbol.for("parley.storage");
const storageHolder = globalThis as typeof globalThis & {
  [STORAGE_KEY]?: Map<string, { storage: TStorage; ready: Promise<void> }>;
};

/**
 * The configured storage (S3 when S3_ENDPOINT is set, local disk otherwise), created once per
 * configuration; its bucket/directory is ensured before the promise resolves.
 */
export async function getStorage(env: TFilesEnv): Promise<TStorage> {
  const signature = JSON.stringify([
    env.S3_ENDPOINT,
    env.S3_PORT,
    env.S3_BUCKET,
    env.S3_ACCESS_KEY,
    env.S3_PUBLIC_URL,
    env.STORAGE_DIR,
    env.PUBLIC_URL,
  ]);
  storageHolder[STORAGE_KEY] ??= new Map();
  let entry = storageHolder[STORAGE_KEY].get(signature);
  if (!entry) {
    const storage = createStorage(env);
    const created = { storage, ready: storage.ensureBucket() };
    entry = created;
    storageHolder[STORAGE_KEY].set(signature, entry);
    // A failed start (S3 down) must not be cached forever.
    created.ready.catch(() => storageHolder[STORAGE_KEY]?.delete(signature));
  }
  await entry.ready;
  return entry.storage;
}
