import type { Readable } from "node:stream";

/** A byte range, both ends inclusive like HTTP `Range: bytes=start-end`; no `end` = to the end. */
export type TByteRange = { start: number; end?: number };

/** What `statObject` knows about a stored object. */
export type TObjectInfo = { size: number; contentType: string; etag: string };

/** One object as `listObjects` yields it. */
export type TListedObject = { key: string; size: number };

/** Options of `putObject`. `size`, when given, must match the body exactly or the put fails. */
export type TPutOptions = { size?: number; contentType: string };

/** Options of `presignPut`. With `size`, the upload must be exactly that many bytes. */
export type TPresignPutOptions = { expiresSec: number; contentType: string; size?: number };

/** What a browser needs to upload: PUT the bytes to `url` with exactly these `headers`. */
export type TPresignedPut = { url: string; method: "PUT"; headers: Record<string, string> };

/**
 * Options of `presignGet`. `fileName` makes the response a download under that name
 * (`disposition` "inline" shows it in the browser instead); `contentType` overrides the stored one.
 */
export type TPresignGetOptions = {
  expiresSec: number;
  fileName?: string;
  contentType?: string;
  disposition?: "attachment" | "inline";
};

/**
 * Object storage for attachments. Keys are `/`-separated paths of safe segments (see
 * `assertValidKey`); bodies are streamed, never required to fit in memory. Presigned URLs let a
 * browser upload or download directly, without the bytes passing through the app.
 */
export type TStorage = {
  /** Which backend this is: "local" (disk, served by the web app) or "s3". */
  readonly kind: "local" | "s3";
  /** Creates the bucket (or directory) when missing; safe to call at every start. */
  ensureBucket(): Promise<void>;
  /** Stores `body` under `key`, replacing any object there; resolves when it is durable. */
  putObject(
    key: string,
    body: Readable | Buffer,
    options: TPutOptions,
  ): Promise<{ etag: string; size: number }>;
  /** Streams the object (or a range of it); rejects with ObjectNotFoundError when it is missing. */
  getObject(key: string, range?: TByteRange): Promise<Readable>;
  /** Size, content type and etag of the object, or null when it is missing. */
  statObject(key: string): Promise<TObjectInfo | null>;
  /** Deletes the object; deleting a missing object is not an error. */
  deleteObject(key: string): Promise<void>;
  /**
   * Every stored object whose key starts with `prefix` (all of them without one), in no
   * particular order; for backups, which copy the whole store.
   */
  listObjects(prefix?: string): AsyncIterable<TListedObject>;
  /** A URL the browser can PUT the bytes to until it expires. */
  presignPut(key: string, options: TPresignPutOptions): Promise<TPresignedPut>;
  /** A URL that downloads the object until it expires. */
  presignGet(key: string, options: TPresignGetOptions): Promise<string>;
};

/** Base class of the errors storage backends throw on purpose. */
export class StorageError extends Error {
  override name = "StorageError";
}

/** The object does not exist. */
export class ObjectNotFoundError extends StorageError {
  override name = "ObjectNotFoundError";
  constructor(readonly key: string) {
    super(`No object with key ${JSON.stringify(key)}`);
  }
}

/** The key is not a safe object key (see `assertValidKey`). */
export class InvalidKeyError extends StorageError {
  override name = "InvalidKeyError";
}

/** The body did not match the declared size. */
export class SizeMismatchError extends StorageError {
  override name = "SizeMismatchError";
}

/** The requested range starts beyond the end of the object. */
export class RangeNotSatisfiableError extends StorageError {
  override name = "RangeNotSatisfiableError";
}
