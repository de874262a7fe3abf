/**
 * AWS Signature V4 query presigning, for the one URL the minio client cannot sign: a PUT that
 * pins `content-type` and `content-length` (minio leaves both out of every signature). Any header
 * in `headers` is signed, and the server refuses a request whose header differs (403).
 *
 * The S3-standard alternative, a presigned POST policy (minio's `presignedPostPolicy`), is not
 * used because the test S3 server (Swift's s3api) answers POST Object with 501 NotImplemented
 * (s3.integration.test.ts shows it), so neither its tests nor the browser tests could exercise it.
 * Checked against AWS's published example in sigv4.test.ts.
 */
import { createHash, createHmac } from "node:crypto";
import { assertValidExpiry } from "./keys.ts";

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Za-z0-9-_.~` (and `/` if kept). */
export function uriEncode(value: string, keepSlash = false): string {
  const encoded = encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return keepSlash ? encoded.replaceAll("%2F", "/") : encoded;
}

const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

/** `20130524T000000Z` */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

export type TPresignV4 = {
  method: string;
  /** "http:" or "https:". */
  protocol: string;
  /** Host header value, with `:port` when it is not the scheme's default. */
  host: string;
  /** Unencoded path, starting with `/` (path-style: `/bucket/key`). */
  path: string;
  /** Extra query parameters to sign (e.g. `response-content-disposition`). */
  query?: Record<string, string>;
  /** Extra headers the request must carry exactly (lower-case names), e.g. `content-type`. */
  headers?: Record<string, string>;
  accessKey: string;
  secretKey: string;
  region: string;
  /** When the signature starts to be valid; default now. */
  date?: Date;
  /** Seconds it stays valid (1 – 604800). */
  expiresSec: number;
};

/** Returns a presigned URL for the request described by `o`. */
export function presignV4(o: TPresignV4): string {
  assertValidExpiry(o.expiresSec);
  const stamp = amzDate(o.date ?? new Date());
  const day = stamp.slice(0, 8);
  const scope = `${day}/${o.region}/s3/aws4_request`;
  const headers: Record<string, string> = { host: o.host };
  for (const [name, value] of Object.entries(o.headers ?? {})) headers[name.toLowerCase()] = value;
  const headerNames = Object.keys(headers).sort();
  const signedHeaders = headerNames.join(";");

  const query: Record<string, string> = {
    ...o.query,
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": `${o.accessKey}/${scope}`,
    "X-Amz-Date": stamp,
    "X-Amz-Expires": String(o.expiresSec),
    "X-Amz-SignedHeaders": signedHeaders,
  };
  const canonicalQuery = Object.entries(query)
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalHeaders = headerNames
    .map((name) => `${name}:${String(headers[name]).trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const canonicalPath = uriEncode(o.path, true);
  const canonicalRequest = [
    o.method,
    canonicalPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    "UNSIGNED-PAYLOAD",
  ].join("\n");
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    stamp,
    scope,
    createHash("sha256").update(canonicalRequest, "utf8").digest("hex"),
  ].join("\n");
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${o.secretKey}`, day), o.region), "s3"), "aws4_request");
  const signature = hmac(signingKey, stringToSign).toString("hex");
  return `${o.protocol}//${o.host}${canonicalPath}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}
