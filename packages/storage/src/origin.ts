/**
 * Where browsers reach stored files, without any client or I/O: the web's Content-Security-Policy
 * (apps/web security-headers.ts) allows exactly this origin for presigned PUTs and GETs, and
 * s3.ts signs its URLs for the same base. Kept apart from s3.ts so the web's request proxy can
 * import it without the minio client.
 */

/** The address parts of an S3 server (a subset of `TS3StorageOptions`). */
export type TS3Address = {
  endPoint: string;
  port?: number;
  useSSL: boolean;
  /** Base URL browsers use when it differs from `endPoint` (an origin, no path). */
  publicUrl?: string;
};

/** The base URL presigned URLs are made for: `publicUrl`, else the endpoint with its scheme and port. */
export function s3PublicBase(address: TS3Address): URL {
  if (address.publicUrl) return new URL(address.publicUrl);
  const defaultPort = address.useSSL ? 443 : 80;
  const port = address.port && address.port !== defaultPort ? `:${address.port}` : "";
  return new URL(`${address.useSSL ? "https" : "http"}://${address.endPoint}${port}`);
}

/**
 * The origin of presigned URLs for `bucket`: the public base, or `bucket.` + its host when the
 * bucket is addressed virtual-hosted style (`pathStyle: false`).
 */
export function s3BrowserOrigin(address: TS3Address & { bucket: string; pathStyle: boolean }): string {
  const base = s3PublicBase(address);
  return address.pathStyle ? base.origin : `${base.protocol}//${address.bucket}.${base.host}`;
}

/** The settings `storageBrowserOrigin` reads; `TEnv` from @parley/config fits. */
export type TStorageOriginEnv = {
  S3_ENDPOINT?: string;
  S3_PORT?: number;
  S3_USE_SSL: boolean;
  S3_BUCKET: string;
  S3_PATH_STYLE: boolean;
  S3_PUBLIC_URL?: string;
};

/**
 * The origin other than the app's own that browsers upload to and download from: the S3 server's
 * (as presigned URLs name it) when S3_ENDPOINT is set; null for local disk (served by the app).
 */
export function storageBrowserOrigin(env: TStorageOriginEnv): string | null {
  if (!env.S3_ENDPOINT) return null;
  return s3BrowserOrigin({
    endPoint: env.S3_ENDPOINT,
    port: env.S3_PORT,
    useSSL: env.S3_USE_SSL,
    publicUrl: env.S3_PUBLIC_URL,
    bucket: env.S3_BUCKET,
    pathStyle: env.S3_PATH_STYLE,
  });
}
