/**
 * Reading the uploaded zip, safely. The object is copied from storage to a temporary file (a zip's
 * directory is at its end, so it needs random access; nothing is held whole in memory), then opened
 * with yauzl, which checks every entry's declared size against what inflates. Refused outright,
 * with a message naming the problem: more than MAX_ENTRIES entries, an entry whose path is absolute,
 * climbs out (`..`), uses backslashes or NUL, an encrypted entry, a JSON entry larger than
 * MAX_JSON_ENTRY_BYTES or a total larger than MAX_TOTAL_BYTES uncompressed (zip bombs).
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { TStorage } from "@parley/storage";
import yauzl from "yauzl";
import { ParleyError } from "../errors.ts";

/** Entries a zip may hold. */
export const MAX_ENTRIES = 200_000;
/** Largest single JSON file, uncompressed. */
export const MAX_JSON_ENTRY_BYTES = 64 * 1024 * 1024;
/** Largest total of all entries, uncompressed. */
export const MAX_TOTAL_BYTES = 8 * 1024 * 1024 * 1024;

/** An open export: its entries by path (without a wrapping top folder) and how to read them. */
export type TSlackZip = {
  /** Paths relative to the export's root, e.g. `users.json`, `general/2024-01-02.json`. */
  readonly names: readonly string[];
  has(name: string): boolean;
  size(name: string): number;
  /** The entry parsed as JSON; BAD_REQUEST naming the file when it is not. */
  readJson(name: string): Promise<unknown>;
  /** The entry's bytes as a stream (files in `__uploads/`). */
  openStream(name: string): Promise<NodeJS.ReadableStream>;
  close(): Promise<void>;
};

function isUnsafePath(name: string): boolean {
  return (
    name.includes("\\") ||
    name.includes("\u0000") ||
    name.startsWith("/") ||
    /^[a-zA-Z]:/.test(name) ||
    name.split("/").some((part) => part === "..")
  );
}

/** Copies the stored zip to a temporary file and opens it (see the file header). */
export async function openStoredZip(storage: TStorage, key: string): Promise<TSlackZip> {
  const dir = await mkdtemp(join(tmpdir(), "parley-slack-import-"));
  const path = join(dir, "export.zip");
  try {
    await pipeline(await storage.getObject(key), createWriteStream(path));
    return await openZipFile(path, () => rm(dir, { recursive: true, force: true }));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Opens a zip on disk (see the file header); `cleanup` runs on close. */
export async function openZipFile(
  path: string,
  cleanup: () => Promise<void> = async () => {},
): Promise<TSlackZip> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    // decodeStrings off: names are checked here (yauzl would throw on the first bad one with a
    // message about its internals); they are UTF-8 in every zip Slack makes.
    yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false }, (err, file) =>
      err || !file
        ? reject(
            new ParleyError("BAD_REQUEST", "This is not a zip file ({detail})", {
              params: { detail: err?.message ?? "unreadable" },
            }),
          )
        : resolve(file),
    );
  });
  try {
    if (zip.entryCount > MAX_ENTRIES) {
      throw new ParleyError("BAD_REQUEST", "The zip holds {count} files; at most {max} can be imported", {
        params: { count: zip.entryCount, max: MAX_ENTRIES },
      });
    }
    const entries = await readEntries(zip);
    return wrap(zip, rootOf(entries), cleanup);
  } catch (err) {
    zip.close();
    await cleanup();
    throw err;
  }
}

async function readEntries(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  const entries = new Map<string, yauzl.Entry>();
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    zip.on("entry", (entry: yauzl.Entry) => {
      const raw = entry.fileName as unknown as Buffer | string;
      const name = typeof raw === "string" ? raw : raw.toString("utf8");
      if (isUnsafePath(name)) {
        reject(
          new ParleyError("BAD_REQUEST", "The zip holds an unsafe path ({path}); nothing was imported", {
            params: { path: JSON.stringify(name.slice(0, 200)) },
          }),
        );
        return;
      }
      if ((entry.generalPurposeBitFlag & 1) !== 0) {
        reject(
          new ParleyError(
            "BAD_REQUEST",
            "The zip's file {name} is encrypted; export again without a password",
            {
              params: { name },
            },
          ),
        );
        return;
      }
      total += entry.uncompressedSize;
      if (total > MAX_TOTAL_BYTES) {
        reject(new ParleyError("BAD_REQUEST", "The zip unpacks to more than 8 GiB; split the export"));
        return;
      }
      if (!name.endsWith("/")) entries.set(name, entry);
      zip.readEntry();
    });
    zip.on("end", () => resolve());
    zip.on("error", (err: Error) =>
      reject(
        new ParleyError("BAD_REQUEST", "The zip is damaged ({detail})", { params: { detail: err.message } }),
      ),
    );
    zip.readEntry();
  });
  return entries;
}

/** The entries relative to the export's root: `users.json` at the top, or in one wrapping folder. */
function rootOf(entries: Map<string, yauzl.Entry>): Map<string, yauzl.Entry> {
  if (entries.has("users.json") || entries.has("channels.json")) return entries;
  const wrappers = [...entries.keys()].filter((n) => /^[^/]+\/(users|channels)\.json$/.test(n));
  const prefix = wrappers[0]?.replace(/(users|channels)\.json$/, "");
  if (!prefix) return entries;
  const rooted = new Map<string, yauzl.Entry>();
  for (const [name, entry] of entries)
    if (name.startsWith(prefix)) rooted.set(name.slice(prefix.length), entry);
  return rooted;
}

function wrap(
  zip: yauzl.ZipFile,
  entries: Map<string, yauzl.Entry>,
  cleanup: () => Promise<void>,
): TSlackZip {
  const open = (name: string) =>
    new Promise<NodeJS.ReadableStream>((resolve, reject) => {
      const entry = entries.get(name);
      if (!entry)
        return reject(new ParleyError("BAD_REQUEST", "The zip has no {name}", { params: { name } }));
      zip.openReadStream(entry, (err, stream) =>
        err || !stream
          ? reject(
              new ParleyError("BAD_REQUEST", "The zip's {name} cannot be read ({detail})", {
                params: { name, detail: String(err?.message) },
              }),
            )
          : resolve(stream),
      );
    });
  return {
    names: [...entries.keys()],
    has: (name) => entries.has(name),
    size: (name) => entries.get(name)?.uncompressedSize ?? 0,
    openStream: open,
    async readJson(name) {
      const entry = entries.get(name);
      if (!entry) throw new ParleyError("BAD_REQUEST", "The zip has no {name}", { params: { name } });
      if (entry.uncompressedSize > MAX_JSON_ENTRY_BYTES) {
        throw new ParleyError("BAD_REQUEST", "{name} is larger than {size} MiB", {
          params: { name, size: MAX_JSON_ENTRY_BYTES / 1024 / 1024 },
        });
      }
      const stream = await open(name);
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of stream) chunks.push(chunk as Buffer);
      } catch (err) {
        throw new ParleyError("BAD_REQUEST", "The zip's {name} is damaged ({detail})", {
          params: { name, detail: (err as Error).message },
        });
      }
      try {
        return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
      } catch (err) {
        throw new ParleyError("BAD_REQUEST", "{name} is not valid JSON ({detail})", {
          params: { name, detail: (err as Error).message },
        });
      }
    },
    async close() {
      zip.close();
      await cleanup();
    },
  };
}
