/**
 * An export archive written straight into object storage: a gzipped tar (tar-stream + zlib, as
 * @parley/backup's archives) piped into `storage.putObject`, so neither the archive nor any file
 * in it is held in memory or spooled to the server's disk. Entries are added one at a time; a tar
 * header needs the entry's size first, which is why JSON lines come in parts (one per batch,
 * built in memory) and file objects are added with their stored size.
 */
import { PassThrough, type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import type { TStorage } from "@parley/storage";
import tar from "tar-stream";

export type TExportArchive = {
  /** Adds an entry from memory. */
  addBuffer(name: string, body: Buffer): Promise<void>;
  /** Adds an entry of exactly `size` bytes from a stream; fails if the stream has more or fewer. */
  addStream(name: string, size: number, body: Readable): Promise<void>;
  /** Ends the archive and waits until storage has it; resolves with its size in bytes. */
  finish(): Promise<number>;
  /** Stops writing: the upload fails and storage keeps nothing (or a partial object to delete). */
  abort(err?: Error): Promise<void>;
};

/** Starts writing a gzipped tar to `storage` under `key`. */
export function writeExportArchive(storage: TStorage, key: string): TExportArchive {
  const pack = tar.pack();
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  const body = new PassThrough();
  // Level 1: attachments are mostly compressed already; JSON text still shrinks several times.
  const piped = pipeline(pack, createGzip({ level: 1 }), counter, body);
  const stored = storage.putObject(key, body, { contentType: "application/gzip" });
  // Either side failing fails every pending add (a tar entry would otherwise wait for a drain
  // that never comes).
  const failed = Promise.all([piped, stored]).then(
    () => new Promise<never>(() => {}),
    (err: unknown) => {
      throw err;
    },
  );
  failed.catch(() => {});
  const entry = (name: string, size: number, write: (sink: NodeJS.WritableStream) => Promise<void> | void) =>
    Promise.race([
      new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ name, size, mode: 0o644, mtime: new Date() }, (err) =>
          err ? reject(err) : resolve(),
        );
        Promise.resolve(write(sink)).catch(reject);
      }),
      failed,
    ]);
  return {
    addBuffer: (name, buffer) => entry(name, buffer.length, (sink) => void sink.end(buffer)),
    addStream: (name, size, stream) =>
      entry(name, size, (sink) => pipeline(stream, sink as NodeJS.WritableStream)).catch((err: Error) => {
        stream.destroy();
        throw new Error(`Could not add ${name} (${size} bytes expected): ${err.message}`);
      }),
    async finish() {
      pack.finalize();
      await Promise.all([piped, stored]);
      return bytes;
    },
    async abort(err) {
      pack.destroy(err ?? new Error("export aborted"));
      body.destroy(err ?? new Error("export aborted"));
      await Promise.allSettled([piped, stored]);
    },
  };
}

/** JSON lines of `rows` (one JSON document per line, `\n` after each). */
export function jsonLines(rows: readonly unknown[]): Buffer {
  return Buffer.from(rows.map((row) => `${JSON.stringify(row)}\n`).join(""), "utf8");
}

/** The name of part `n` (1-based) of a kind's JSON lines: `messages/000001.jsonl`. */
export function partName(root: string, kind: string, n: number): string {
  return `${root}/${kind}/${String(n).padStart(6, "0")}.jsonl`;
}

/**
 * A file name safe inside an archive: no directory separators, control characters or leading dots
 * (an archive's reader may extract it anywhere); at most 120 characters, the extension kept.
 */
export function safeEntryName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  let clean = name.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, "_").replace(/^\.+/, "_");
  if (clean.length > 120) {
    const dot = clean.lastIndexOf(".");
    const ext = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : "";
    clean = clean.slice(0, 120 - ext.length) + ext;
  }
  return clean.trim() || "file";
}
