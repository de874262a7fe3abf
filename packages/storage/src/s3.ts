/**
 * S3 storage through the `minio` client: MinIO for self-hosters, any S3-compatible server
 * otherwise (tests run against OpenStack Swift's s3api, see scripts/s3-server.sh).
 *
 * Uploads through `putObject` stream: bodies larger than `partSize` (default 16 MiB) become a
 * multipart upload, one part in memory at a time. Presigned GETs are the minio client's own; a
 * presigned PUT is signed in sigv4.ts, because minio never signs `content-type`/`content-length`
 * (see there for why a POST policy does not replace it yet).
 */
import { PassThrough, type Readable } from "node:stream";
import { Client, S3Error } from "minio";
import { assertValidContentType, assertValidExpiry, assertValidKey, contentDisposition } from "./keys.ts";
import { s3PublicBase } from "./origin.ts";
import { presignV4 } from "./sigv4.ts";
import {
  ObjectNotFoundError,
  RangeNotSatisfiableError,
  SizeMismatchError,
  type TObjectInfo,
  type TPresignedPut,
  type TStorage,
} from "./types.ts";

/** Options of `createS3Storage`. */
export type TS3StorageOptions = {
  /** Host name or IP of the S3 server, without scheme. */
  endPoint: string;
  /** Port; default 443 with TLS, 80 without. */
  port?: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  /** `https://host/bucket/key` (true; MinIO and Swift) or `https://bucket.host/key` (false). */
  pathStyle: boolean;
  /** Multipart part size in bytes (≥ 5 MiB); default 16 MiB. Memory per upload ≈ one part. */
  partSize?: number;
  /**
   * Base URL browsers reach the S3 server at, when it differs from the one the app uses (e.g.
   * https://files.example.com in front of minio:9000). The proxy must pass the Host header through.
   */
  publicUrl?: string;
};

export type TS3Storage = TStorage & { readonly kind: "s3"; readonly client: Client; readonly bucket: string };

const codeOf = (err: unknown) =>
  err instanceof S3Error || err instanceof Error ? (err as S3Error).code : undefined;
const isMissing = (err: unknown) => ["NoSuchKey", "NotFound", "NoSuchObject"].includes(codeOf(err) ?? "");

/** Creates the S3 backend. Call `ensureBucket()` once at start. */
export function createS3Storage(options: TS3StorageOptions): TS3Storage {
  const { bucket, region } = options;
  const client = new Client({
    endPoint: options.endPoint,
    port: options.port,
    useSSL: options.useSSL,
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    region,
    pathStyle: options.pathStyle,
    partSize: options.partSize ?? 16 * 1024 * 1024,
  });

  const publicBase = s3PublicBase(options);
  // A signature covers the path the S3 server sees; a proxy that strips a prefix would break it.
  if (publicBase.pathname !== "/" || publicBase.search) {
    throw new Error(`The public S3 URL must be an origin without a path, got ${publicBase.href}`);
  }
  // Presigned URLs are signed for the host browsers use. Presigning makes no request (the region
  // is given), so this client never talks to the public address.
  const presigner = options.publicUrl
    ? new Client({
        endPoint: publicBase.hostname,
        port: publicBase.port ? Number(publicBase.port) : undefined,
        useSSL: publicBase.protocol === "https:",
        accessKey: options.accessKey,
        secretKey: options.secretKey,
        region,
        pathStyle: options.pathStyle,
      })
    : client;

  /** Where a presigned request for `key` goes: host (+port) and path, path- or virtual-host-style. */
  const target = (key: string) =>
    options.pathStyle
      ? { protocol: publicBase.protocol, host: publicBase.host, path: `/${bucket}/${key}` }
      : { protocol: publicBase.protocol, host: `${bucket}.${publicBase.host}`, path: `/${key}` };

  const sign = { accessKey: options.accessKey, secretKey: options.secretKey, region };

  return {
    kind: "s3",
    client,
    bucket,

    async ensureBucket() {
      if (await client.bucketExists(bucket)) return;
      try {
        await client.makeBucket(bucket, region);
      } catch (err) {
        // Another process won the race.
        if (!["BucketAlreadyOwnedByYou", "BucketAlreadyExists"].includes(codeOf(err) ?? "")) throw err;
      }
    },

    async putObject(key, body, { size, contentType }) {
      assertValidKey(key);
      assertValidContentType(contentType);
      const metaData = { "Content-Type": contentType };
      if (Buffer.isBuffer(body)) {
        if (size !== undefined && size !== body.length) {
          throw new SizeMismatchError(`Body is ${body.length} bytes, declared ${size}`);
        }
        const result = await client.putObject(bucket, key, body, body.length, metaData);
        return { etag: result.etag, size: body.length };
      }
      const guarded = guardBody(body, size);
      let etag: string;
      try {
        etag = (await client.putObject(bucket, key, guarded.stream, size, metaData)).etag;
      } catch (err) {
        body.destroy();
        throw err;
      }
      const { bytes, failure } = guarded.outcome();
      if (failure) {
        // What was stored is not what the caller meant: remove it.
        await client.removeObject(bucket, key).catch(() => {});
        throw failure;
      }
      return { etag, size: bytes };
    },

    async getObject(key, range) {
      assertValidKey(key);
      try {
        if (!range) return await client.getObject(bucket, key);
        if (!Number.isInteger(range.start) || range.start < 0) {
          throw new RangeNotSatisfiableError(`Range starts at ${range.start}`);
        }
        const length = range.end === undefined ? 0 : range.end - range.start + 1;
        if (length < 0) throw new RangeNotSatisfiableError(`Range ends before it starts`);
        return await client.getPartialObject(bucket, key, range.start, length);
      } catch (err) {
        if (isMissing(err)) throw new ObjectNotFoundError(key);
        if (codeOf(err) === "InvalidRange") throw new RangeNotSatisfiableError((err as Error).message);
        throw err;
      }
    },

    async statObject(key): Promise<TObjectInfo | null> {
      assertValidKey(key);
      try {
        const s = await client.statObject(bucket, key);
        const contentType = (s.metaData["content-type"] as string | undefined) ?? "application/octet-stream";
        return { size: s.size, contentType, etag: s.etag };
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
    },

    async deleteObject(key) {
      assertValidKey(key);
      await client.removeObject(bucket, key);
    },

    async *listObjects(prefix = "") {
      // listObjectsV2 pages through the bucket (1,000 keys a request) as the stream is read.
      for await (const item of client.listObjectsV2(bucket, prefix, true)) {
        const { name, size } = item as { name?: string; size?: number };
        if (name !== undefined) yield { key: name, size: size ?? 0 };
      }
    },

    async presignPut(key, { expiresSec, contentType, size }): Promise<TPresignedPut> {
      assertValidKey(key);
      assertValidContentType(contentType);
      const headers: Record<string, string> = { "content-type": contentType };
      // Browsers set Content-Length themselves (and may not set it by hand), so it is signed but
      // not returned in `headers`.
      if (size !== undefined) headers["content-length"] = String(size);
      const url = presignV4({ method: "PUT", ...target(key), headers, expiresSec, ...sign });
      return { url, method: "PUT", headers: { "Content-Type": contentType } };
    },

    async presignGet(key, { expiresSec, fileName, contentType, disposition }) {
      assertValidKey(key);
      assertValidExpiry(expiresSec);
      const query: Record<string, string> = {};
      if (fileName !== undefined)
        query["response-content-disposition"] = contentDisposition(fileName, disposition);
      else if (disposition) query["response-content-disposition"] = disposition;
      if (contentType !== undefined) {
        assertValidContentType(contentType);
        query["response-content-type"] = contentType;
      }
      return presigner.presignedGetObject(bucket, key, expiresSec, query);
    },
  };
}

/**
 * Why not just pipe the caller's stream into minio: minio's multipart path pipes the body into a
 * chunker and only listens for errors on the chunker, so a body that errors (a browser that
 * disconnects, a size guard) would leave `putObject` pending forever. Here the body minio sees
 * always ends cleanly (early, on failure); `outcome()` then reports the failure, and the caller
 * deletes the truncated object.
 */
function guardBody(source: Readable, size: number | undefined) {
  const stream = new PassThrough();
  let bytes = 0;
  let failure: Error | undefined;
  let isEnded = false;
  const finish = (err?: Error) => {
    if (isEnded) return;
    isEnded = true;
    if (err) failure ??= err;
    source.off("data", onData);
    stream.end();
  };
  const onData = (chunk: Buffer) => {
    bytes += chunk.length;
    if (size !== undefined && bytes > size) {
      finish(new SizeMismatchError(`Body is longer than the declared ${size} bytes`));
      source.destroy();
      return;
    }
    if (!stream.write(chunk)) source.pause();
  };
  source.on("data", onData);
  stream.on("drain", () => source.resume());
  source.on("end", () =>
    finish(
      size !== undefined && bytes !== size
        ? new SizeMismatchError(`Body is ${bytes} bytes, declared ${size}`)
        : undefined,
    ),
  );
  source.on("error", (err) => finish(err));
  source.on("close", () => finish(new Error("Body stream closed before its end")));
  return { stream, outcome: () => ({ bytes, failure }) };
}
