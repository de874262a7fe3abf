/**
 * @parley/storage — where attachment bytes live. One `Storage` interface, two backends:
 * `local` (files under STORAGE_DIR, signed URLs served by the web app; the default) and `s3`
 * (MinIO or any S3-compatible server; chosen when S3_ENDPOINT is set).
 *
 * Adding a backend: implement `Storage` (types.ts) in `src/<name>.ts`, validate keys with
 * `assertValidKey`, map a missing object to `ObjectNotFoundError` / `null` from `statObject`, make
 * presigned URLs answer 403 when expired or tampered with and 404 for a missing object; then run
 * `runStorageContract` (contract.ts) against it in `src/<name>.integration.test.ts` and choose it in
 * `createStorage` below. The contract suite, not this comment, is the definition of "works".
 */
import { createLocalStorage, type TLocalStorage } from "./local.ts";
import { createS3Storage } from "./s3.ts";
import type { TStorage } from "./types.ts";

export { assertValidKey, contentDisposition, encodeKeyPath } from "./keys.ts";
export {
  createLocalStorage,
  signLocal,
  type TLocalSignedFields,
  type TLocalStorage,
  type TLocalStorageOptions,
  verifyLocalSignature,
} from "./local.ts";
export {
  s3BrowserOrigin,
  s3PublicBase,
  storageBrowserOrigin,
  type TS3Address,
  type TStorageOriginEnv,
} from "./origin.ts";
export { createS3Storage, type TS3Storage, type TS3StorageOptions } from "./s3.ts";
export * from "./types.ts";

/** The settings `createStorage` reads; `TEnv` from @parley/config fits. */
export type TStorageEnv = {
  STORAGE_DIR: string;
  PUBLIC_URL: string;
  AUTH_SECRET: string;
  S3_ENDPOINT?: string;
  S3_PORT?: number;
  S3_USE_SSL: boolean;
  S3_ACCESS_KEY?: string;
  S3_SECRET_KEY?: string;
  S3_BUCKET: string;
  S3_REGION: string;
  S3_PATH_STYLE: boolean;
  /** Where browsers reach the S3 server, when it differs from S3_ENDPOINT (presigned URLs use it). */
  S3_PUBLIC_URL?: string;
};

/** The configured backend: S3 when S3_ENDPOINT is set, local disk otherwise. */
export function createStorage(env: TStorageEnv): TStorage {
  if (env.S3_ENDPOINT) {
    if (!env.S3_ACCESS_KEY || !env.S3_SECRET_KEY) {
      throw new Error("S3_ACCESS_KEY and S3_SECRET_KEY are required when S3_ENDPOINT is set");
    }
    return createS3Storage({
      endPoint: env.S3_ENDPOINT,
      port: env.S3_PORT,
      useSSL: env.S3_USE_SSL,
      accessKey: env.S3_ACCESS_KEY,
      secretKey: env.S3_SECRET_KEY,
      bucket: env.S3_BUCKET,
      region: env.S3_REGION,
      pathStyle: env.S3_PATH_STYLE,
      publicUrl: env.S3_PUBLIC_URL,
    });
  }
  return createLocalStorage({ dir: env.STORAGE_DIR, publicBaseUrl: env.PUBLIC_URL, secret: env.AUTH_SECRET });
}

/**
 * Serves a local-disk signed URL (`/api/files/local/<key>?exp=…&sig=…`) from `storage`: the
 * signature, expiry, content type and size checks are `LocalStorage.handle`'s. 404 when storage is S3.
 */
export async function serveLocalFile(storage: TStorage, request: Request): Promise<Response> {
  if (storage.kind !== "local" || !("handle" in storage)) return new Response("Not found", { status: 404 });
  return (storage as TLocalStorage).handle(request);
}
