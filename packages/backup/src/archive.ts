/**
 * The archive as streams: a gzipped tar (tar-stream + zlib), written under `<file>.partial` and
 * renamed into place only when complete, read entry by entry without extracting to disk.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { type Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import tar from "tar-stream";
import { BackupError } from "./manifest.ts";

/** A Transform that passes bytes through and knows their sha256 and count once ended. */
export function hasher() {
  const hash = createHash("sha256");
  let bytes = 0;
  let digest: string | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return {
    stream,
    bytes: () => bytes,
    /** The hex sha256 of everything that passed; call once the stream has ended. */
    sha256: () => {
      digest ??= hash.digest("hex");
      return digest;
    },
  };
}

/** The sha256 and length of everything `stream` yields. */
export async function digest(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const h = hasher();
  await pipeline(stream, h.stream, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
  return { sha256: h.sha256(), bytes: h.bytes() };
}

/** Reads a whole (small) stream into memory. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export type TArchiveWriter = {
  /** Adds an entry from memory. */
  addBuffer(name: string, body: Buffer): Promise<void>;
  /**
   * Adds an entry of exactly `size` bytes from a stream (through `through`, e.g. a hasher); fails
   * if the stream has more or fewer.
   */
  addStream(name: string, size: number, body: Readable, through?: Transform): Promise<void>;
  /** Ends the archive and moves it to its final name. */
  finish(): Promise<void>;
  /** Stops and removes the partial file. */
  abort(): Promise<void>;
};

/** Starts writing a gzipped tar to `file` (through `<file>.partial`). */
export function writeArchive(file: string): TArchiveWriter {
  const partial = `${file}.partial`;
  const pack = tar.pack();
  // Level 1: attachments are mostly compressed already; the database text still shrinks ~4×.
  const done = pipeline(pack, createGzip({ level: 1 }), createWriteStream(partial, { flags: "wx" }));
  done.catch(() => {});
  const add = (name: string, size: number, write: (sink: NodeJS.WritableStream) => Promise<void>) =>
    new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ name, size, mode: 0o600, mtime: new Date() }, (err) =>
        err ? reject(err) : resolve(),
      );
      write(sink).catch(reject);
    });
  return {
    addBuffer: (name, body) =>
      new Promise<void>((resolve, reject) => {
        pack.entry({ name, size: body.length, mode: 0o600, mtime: new Date() }, body, (err) =>
          err ? reject(err) : resolve(),
        );
      }),
    addStream: (name, size, body, through) =>
      add(name, size, (sink) =>
        through
          ? pipeline(body, through, sink as NodeJS.WritableStream)
          : pipeline(body, sink as NodeJS.WritableStream),
      ).catch((err) => {
        throw new BackupError(
          `Could not archive ${name} (${size} bytes expected): ${(err as Error).message}`,
        );
      }),
    async finish() {
      pack.finalize();
      await done;
      await rename(partial, file);
    },
    async abort() {
      pack.destroy();
      await done.catch(() => {});
      await rm(partial, { force: true });
    },
  };
}

/** One archive entry while it is being read: consume `body` fully before asking for the next. */
export type TArchiveEntry = { name: string; size: number; body: Readable };

/**
 * Iterates the archive's entries in order. A missing file, a file that is not a gzipped tar and
 * a truncated one are BackupErrors naming the file.
 */
export async function* readArchive(file: string): AsyncGenerator<TArchiveEntry> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new BackupError(`No backup archive at ${file}`);
  const extract = tar.extract();
  const reading = pipeline(createReadStream(file), createGunzip(), extract).catch((err: Error) => {
    extract.destroy(err);
  });
  try {
    for await (const entry of extract) {
      if (entry.header.type !== "file") {
        entry.resume();
        continue;
      }
      // tar-stream's entries are streamx streams; they pipe and iterate like Node's.
      yield { name: entry.header.name, size: entry.header.size ?? 0, body: entry as unknown as Readable };
      entry.resume(); // whatever the consumer left unread
    }
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(
      `${file} is not a readable Parley backup (damaged or truncated?): ${(err as Error).message}`,
    );
  } finally {
    extract.destroy();
    await reading;
  }
}
