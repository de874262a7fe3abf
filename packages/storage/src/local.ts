/**
 * Local-disk storage: the default when no S3 endpoint is configured (one host, no extra service).
 *
 * Layout under `dir`: `objects/<h0h1>/<h>` holds the bytes and `<h>.json` the metadata, where
 * `h = sha256(key)`. Hashing makes path traversal impossible by construction and lets `a` and
 * `a/b` both exist (as on S3) with no file-name length limits. Writes go to `tmp/` and are
 * fsynced, then renamed into place (atomic on one file system), so readers never see half a file.
 *
 * "Presigned" URLs point at the web app: `${publicBaseUrl}/api/files/local/<key>?exp=…&sig=…`,
 * where `sig` is an HMAC-SHA256 (key derived from `secret`) over the method, key, expiry and the
 * limits the URL grants (content type + size for PUT; download name + type for GET). The web
 * route hands the request to `storage.handle(request)` (or checks it itself with
 * `verifyLocalSignature`); a wrong or expired signature gets 403, like S3.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { createWriteStream } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  assertValidContentType,
  assertValidExpiry,
  assertValidKey,
  contentDisposition,
  encodeKeyPath,
  sizeGuard,
} from "./keys.ts";
import {
  ObjectNotFoundError,
  RangeNotSatisfiableError,
  SizeMismatchError,
  StorageError,
  type TByteRange,
  type TObjectInfo,
  type TStorage,
} from "./types.ts";

/** Options of `createLocalStorage`. */
export type TLocalStorageOptions = {
  /** Directory that holds the files (created when missing). */
  dir: string;
  /** Origin (and optional base path) browsers reach the web app at, e.g. https://chat.example.com. */
  publicBaseUrl: string;
  /** Secret the URL signatures derive from (e.g. AUTH_SECRET); at least 32 characters. */
  secret: string;
  /** Path of the web route that serves the files; default `/api/files/local`. */
  routePrefix?: string;
};

/** Local storage plus the HTTP handler for its signed URLs. */
export type TLocalStorage = TStorage & {
  readonly kind: "local";
  /** Serves a signed GET (with Range support) or PUT; any other request gets 403/404/405. */
  handle(request: Request): Promise<Response>;
};

/** The fields a local signed URL commits to. */
export type TLocalSignedFields = {
  method: "GET" | "PUT";
  key: string;
  /** Expiry, Unix seconds. */
  exp: number;
  /** PUT: the content type the upload must declare; GET: the type to serve. */
  contentType?: string;
  /** PUT only: the exact byte count. */
  size?: number;
  /** GET only: download name. */
  fileName?: string;
  /** GET only: attachment (default with a file name) or inline. */
  disposition?: "attachment" | "inline";
};

const SIGNATURE_VERSION = "parley-local-v1";

/** Keeps the URL key separate from any other use of the same secret. */
function deriveKey(secret: string): Buffer {
  if (secret.length < 32) throw new StorageError("Local storage secret must be at least 32 characters");
  return createHmac("sha256", secret).update("parley/storage/local-url").digest();
}

function signWithKey(key: Buffer, f: TLocalSignedFields): string {
  const message = JSON.stringify([
    SIGNATURE_VERSION,
    f.method,
    f.key,
    f.exp,
    f.contentType ?? "",
    f.size ?? "",
    f.fileName ?? "",
    f.disposition ?? "",
  ]);
  return createHmac("sha256", key).update(message).digest("base64url");
}

/** The signature a local URL carries for `fields` (exported for the web route's tests). */
export function signLocal(fields: TLocalSignedFields, secret: string): string {
  return signWithKey(deriveKey(secret), fields);
}

/** Checks a local URL's signature (timing-safe) and expiry; `now` is for tests. */
export function verifyLocalSignature(
  fields: TLocalSignedFields,
  signature: string,
  secret: string,
  now: Date = new Date(),
): { ok: true } | { ok: false; reason: "invalid" | "expired" } {
  const expected = Buffer.from(signLocal(fields, secret));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: "invalid" };
  if (!Number.isInteger(fields.exp) || now.getTime() / 1000 > fields.exp)
    return { ok: false, reason: "expired" };
  return { ok: true };
}

type TMeta = { key: string; contentType: string; etag: string; size: number };

const isNotFound = (err: unknown) => (err as NodeJS.ErrnoException)?.code === "ENOENT";

/** Creates the local-disk backend (see the header for layout and URL format). */
export function createLocalStorage(options: TLocalStorageOptions): TLocalStorage {
  const root = path.resolve(options.dir);
  const objectsDir = path.join(root, "objects");
  const tmpDir = path.join(root, "tmp");
  const baseUrl = options.publicBaseUrl.replace(/\/+$/, "");
  const routePrefix = `/${(options.routePrefix ?? "/api/files/local").replace(/^\/+|\/+$/g, "")}`;
  const urlKey = deriveKey(options.secret);

  const pathsOf = (key: string) => {
    assertValidKey(key);
    const h = createHash("sha256").update(key, "utf8").digest("hex");
    const data = path.join(objectsDir, h.slice(0, 2), h);
    return { data, meta: `${data}.json` };
  };

  const readMeta = async (metaPath: string): Promise<TMeta | null> => {
    try {
      return JSON.parse(await readFile(metaPath, "utf8")) as TMeta;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  };

  const storage: TLocalStorage = {
    kind: "local",

    async ensureBucket() {
      await mkdir(objectsDir, { recursive: true });
      await mkdir(tmpDir, { recursive: true });
      // Uploads interrupted by a crash leave temp files behind; anything a day old is garbage.
      const cutoff = Date.now() - 24 * 3600 * 1000;
      for (const name of await readdir(tmpDir)) {
        const file = path.join(tmpDir, name);
        const info = await stat(file).catch(() => null);
        if (info && info.mtimeMs < cutoff) await rm(file, { force: true });
      }
    },

    async putObject(key, body, { size, contentType }) {
      const target = pathsOf(key);
      assertValidContentType(contentType);
      await mkdir(tmpDir, { recursive: true });
      const tmp = path.join(tmpDir, randomUUID());
      const md5 = createHash("md5");
      let written = 0;
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          md5.update(chunk);
          written += chunk.length;
          callback(null, chunk);
        },
      });
      try {
        const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
        // `flush`: fsync before close, so the rename below never publishes unwritten bytes.
        await pipeline(
          source,
          sizeGuard(size),
          hashing,
          createWriteStream(tmp, { flags: "wx", flush: true }),
        );
        const meta: TMeta = { key, contentType, etag: md5.digest("hex"), size: written };
        await writeFile(`${tmp}.json`, JSON.stringify(meta));
        await mkdir(path.dirname(target.data), { recursive: true });
        // Data first: a crash in between leaves new bytes with the old (or no) metadata, never
        // metadata pointing at missing bytes.
        await rename(tmp, target.data);
        await rename(`${tmp}.json`, target.meta);
        return { etag: meta.etag, size: written };
      } catch (err) {
        if (!Buffer.isBuffer(body)) body.destroy();
        await rm(tmp, { force: true });
        await rm(`${tmp}.json`, { force: true });
        throw err;
      }
    },

    async getObject(key, range?: TByteRange) {
      const target = pathsOf(key);
      let handle: FileHandle;
      try {
        handle = await open(target.data, "r");
      } catch (err) {
        if (isNotFound(err)) throw new ObjectNotFoundError(key);
        throw err;
      }
      if (!range) return handle.createReadStream();
      const { size } = await handle.stat();
      if (!Number.isInteger(range.start) || range.start < 0 || range.start >= size) {
        await handle.close();
        throw new RangeNotSatisfiableError(`Range starts at ${range.start}, object is ${size} bytes`);
      }
      const end = Math.min(range.end ?? size - 1, size - 1);
      if (end < range.start) {
        await handle.close();
        throw new RangeNotSatisfiableError(`Range ends (${end}) before it starts (${range.start})`);
      }
      return handle.createReadStream({ start: range.start, end });
    },

    async statObject(key): Promise<TObjectInfo | null> {
      const target = pathsOf(key);
      let size: number;
      try {
        size = (await stat(target.data)).size;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
      const meta = await readMeta(target.meta);
      return { size, contentType: meta?.contentType ?? "application/octet-stream", etag: meta?.etag ?? "" };
    },

    async deleteObject(key) {
      const target = pathsOf(key);
      await rm(target.data, { force: true });
      await rm(target.meta, { force: true });
    },

    async *listObjects(prefix = "") {
      // The key lives only in each object's metadata file (paths are hashes of keys).
      const buckets = await readdir(objectsDir).catch((err) => {
        if (isNotFound(err)) return [] as string[];
        throw err;
      });
      for (const dir of buckets.sort()) {
        for (const name of (await readdir(path.join(objectsDir, dir))).sort()) {
          if (!name.endsWith(".json")) continue;
          const meta = await readMeta(path.join(objectsDir, dir, name));
          if (!meta?.key.startsWith(prefix)) continue;
          // The bytes' size, not the metadata's: a crash between the two renames of a put leaves
          // new bytes under old metadata.
          const info = await stat(path.join(objectsDir, dir, name.slice(0, -5))).catch(() => null);
          if (info) yield { key: meta.key, size: info.size };
        }
      }
    },

    async presignPut(key, { expiresSec, contentType, size }) {
      assertValidKey(key);
      assertValidContentType(contentType);
      const fields: TLocalSignedFields = { method: "PUT", key, exp: expiry(expiresSec), contentType, size };
      const params = new URLSearchParams({ exp: String(fields.exp), ct: contentType });
      if (size !== undefined) params.set("size", String(size));
      params.set("sig", signWithKey(urlKey, fields));
      return {
        url: `${baseUrl}${routePrefix}/${encodeKeyPath(key)}?${params}`,
        method: "PUT",
        headers: { "Content-Type": contentType },
      };
    },

    async presignGet(key, { expiresSec, fileName, contentType, disposition }) {
      assertValidKey(key);
      if (contentType !== undefined) assertValidContentType(contentType);
      const fields: TLocalSignedFields = {
        method: "GET",
        key,
        exp: expiry(expiresSec),
        contentType,
        fileName,
        disposition,
      };
      const params = new URLSearchParams({ exp: String(fields.exp) });
      if (contentType !== undefined) params.set("ct", contentType);
      if (fileName !== undefined) params.set("fn", fileName);
      if (disposition !== undefined) params.set("disp", disposition);
      params.set("sig", signWithKey(urlKey, fields));
      return `${baseUrl}${routePrefix}/${encodeKeyPath(key)}?${params}`;
    },

    async handle(request) {
      const url = new URL(request.url);
      if (!url.pathname.startsWith(`${routePrefix}/`)) return text(404, "Not found");
      let key: string;
      try {
        key = url.pathname
          .slice(routePrefix.length + 1)
          .split("/")
          .map(decodeURIComponent)
          .join("/");
        assertValidKey(key);
      } catch {
        return text(400, "Invalid key");
      }
      const q = url.searchParams;
      const method = request.method.toUpperCase();
      if (method !== "GET" && method !== "PUT") return text(405, "Method not allowed", { Allow: "GET, PUT" });
      const sizeParam = q.get("size");
      const disp = q.get("disp");
      const fields: TLocalSignedFields = {
        method,
        key,
        exp: Number(q.get("exp")),
        contentType: q.get("ct") ?? undefined,
        size: sizeParam === null ? undefined : Number(sizeParam),
        fileName: q.get("fn") ?? undefined,
        disposition: disp === "inline" || disp === "attachment" ? disp : undefined,
      };
      const verdict = verifyLocalSignature(fields, q.get("sig") ?? "", options.secret);
      if (!verdict.ok)
        return text(403, verdict.reason === "expired" ? "Request has expired" : "Signature mismatch");
      return method === "PUT" ? servePut(storage, request, fields) : serveGet(storage, request, fields);
    },
  };
  return storage;
}

function expiry(expiresSec: number): number {
  assertValidExpiry(expiresSec);
  return Math.floor(Date.now() / 1000) + expiresSec;
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "Content-Type": "text/plain; charset=utf-8", ...headers } });
}

async function servePut(storage: TStorage, request: Request, f: TLocalSignedFields): Promise<Response> {
  // Same rule as a signed S3 header: the request must declare exactly what was signed.
  if (request.headers.get("content-type") !== f.contentType)
    return text(403, "Content-Type differs from the signed one");
  const declared = request.headers.get("content-length");
  if (f.size !== undefined && declared !== null && Number(declared) !== f.size) {
    return text(403, "Content-Length differs from the signed size");
  }
  if (!request.body) return text(400, "Missing body");
  try {
    const body = Readable.fromWeb(request.body as import("node:stream/web").ReadableStream<Uint8Array>);
    const { etag } = await storage.putObject(f.key, body, { size: f.size, contentType: f.contentType ?? "" });
    return new Response(null, { status: 200, headers: { ETag: `"${etag}"` } });
  } catch (err) {
    if (err instanceof SizeMismatchError) return text(400, err.message);
    throw err;
  }
}

/** Parses a single `bytes=` range against `size`; null = serve the whole object; "bad" = 416. */
function parseRange(header: string | null, size: number): TByteRange | null | "bad" {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null; // multi-range or junk: ignore, like many servers
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "bad";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return "bad";
  return { start, end };
}

async function serveGet(storage: TStorage, request: Request, f: TLocalSignedFields): Promise<Response> {
  const info = await storage.statObject(f.key);
  if (!info) return text(404, "Not found");
  const headers: Record<string, string> = {
    "Content-Type": f.contentType ?? info.contentType,
    "Accept-Ranges": "bytes",
    ETag: `"${info.etag}"`,
    "Cache-Control": "private, max-age=300",
    // Served from the app's own origin: never let a stored file run as a page of the app.
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; media-src 'self'",
  };
  if (f.fileName !== undefined)
    headers["Content-Disposition"] = contentDisposition(f.fileName, f.disposition);
  else if (f.disposition) headers["Content-Disposition"] = f.disposition;
  const range = parseRange(request.headers.get("range"), info.size);
  if (range === "bad") return text(416, "Range not satisfiable", { "Content-Range": `bytes */${info.size}` });
  try {
    const stream = await storage.getObject(f.key, range ?? undefined);
    const body = Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;
    if (!range)
      return new Response(body, {
        status: 200,
        headers: { ...headers, "Content-Length": String(info.size) },
      });
    const end = range.end ?? info.size - 1;
    headers["Content-Range"] = `bytes ${range.start}-${end}/${info.size}`;
    headers["Content-Length"] = String(end - range.start + 1);
    return new Response(body, { status: 206, headers });
  } catch (err) {
    if (err instanceof ObjectNotFoundError) return text(404, "Not found");
    throw err;
  }
}
