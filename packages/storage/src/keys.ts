import { Transform } from "node:stream";
import { InvalidKeyError, SizeMismatchError } from "./types.ts";

/** Longest key in UTF-8 bytes (S3's limit). */
export const MAX_KEY_BYTES = 1024;

/**
 * Throws InvalidKeyError unless `key` is safe on every backend: 1–1024 UTF-8 bytes, no control
 * characters or backslashes, no leading `/`, and no empty, `.` or `..` segment. The last rule is
 * not only about disk paths: URL parsers collapse `a/../b`, so such keys could not be presigned.
 */
export function assertValidKey(key: string): void {
  const fail = (why: string) => {
    throw new InvalidKeyError(`Invalid object key ${JSON.stringify(key)}: ${why}`);
  };
  if (typeof key !== "string" || key.length === 0) fail("empty");
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) fail(`longer than ${MAX_KEY_BYTES} bytes`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(key)) fail("control character or backslash");
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(key))
    fail("lone surrogate");
  for (const segment of key.split("/")) {
    if (segment === "" || segment === "." || segment === "..") fail("empty, '.' or '..' segment");
  }
}

/** Throws unless a content type is a plain header value (no control characters), as both backends echo it. */
export function assertValidContentType(contentType: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: header injection guard
  if (!contentType || contentType.length > 255 || /[\u0000-\u001f\u007f]/.test(contentType)) {
    throw new InvalidKeyError(`Invalid content type ${JSON.stringify(contentType)}`);
  }
}

/** Throws RangeError unless `expiresSec` is what S3 accepts for a presigned URL: 1 s to 7 days. */
export function assertValidExpiry(expiresSec: number): void {
  if (!Number.isInteger(expiresSec) || expiresSec < 1 || expiresSec > 604_800) {
    throw new RangeError("expiresSec must be an integer from 1 to 604800 (7 days)");
  }
}

/** Encodes a key for a URL path: each segment percent-encoded, `/` kept. */
export function encodeKeyPath(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}

/**
 * A pass-through that counts bytes and fails with SizeMismatchError when the stream is longer
 * (as soon as it happens) or shorter (at the end) than `size`; `onEnd` gets the final count.
 */
export function sizeGuard(size: number | undefined, onEnd?: (bytes: number) => void): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (size !== undefined && bytes > size) {
        callback(new SizeMismatchError(`Body is longer than the declared ${size} bytes`));
        return;
      }
      callback(null, chunk);
    },
    flush(callback) {
      if (size !== undefined && bytes !== size) {
        callback(new SizeMismatchError(`Body is ${bytes} bytes, declared ${size}`));
        return;
      }
      onEnd?.(bytes);
      callback();
    },
  });
}

/** `Content-Disposition` for a download name, with an ASCII fallback and the RFC 6266 UTF-8 form. */
export function contentDisposition(
  fileName: string,
  disposition: "attachment" | "inline" = "attachment",
): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
