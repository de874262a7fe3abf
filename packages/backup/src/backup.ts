/**
 * `npm run backup`: the database (one snapshot) and then every stored object, into one archive.
 * Objects are copied after the snapshot, so the archive may hold a few objects no row names yet
 * (uploads that finished meanwhile; harmless), and a file deleted during the backup may be
 * missing from it — take backups when deletes are rare, or stop the server for an exact copy.
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TStorage } from "@parley/storage";
import pg from "pg";
import { hasher, writeArchive } from "./archive.ts";
import { recordCliAudit } from "./audit.ts";
import { dumpDatabase, openTableFile } from "./database.ts";
import {
  BackupError,
  FORMAT,
  FORMAT_VERSION,
  MANIFEST_ENTRY,
  OBJECT_INDEX_ENTRY,
  OBJECT_PREFIX,
  TABLE_PREFIX,
  type TManifest,
  type TObjectEntry,
  type TObjectIndex,
} from "./manifest.ts";
import { repoRoot } from "./migrations.ts";

export type TBackupOptions = {
  databaseUrl: string;
  storage: TStorage;
  /** The archive to write; refused when it exists. */
  file: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
};

export type TBackupResult = { file: string; manifest: TManifest; objects: TObjectIndex };

/** The version in the repository's package.json. */
export async function parleyVersion(): Promise<string> {
  return (JSON.parse(await readFile(path.join(repoRoot, "package.json"), "utf8")) as { version: string })
    .version;
}

/** Writes a backup archive (see manifest.ts for its layout). Nothing is left at `file` on failure. */
export async function createBackup(options: TBackupOptions): Promise<TBackupResult> {
  const { storage, file } = options;
  const log = options.log ?? (() => {});
  if (await stat(file).catch(() => null))
    throw new BackupError(`${file} already exists; choose a new file name`);
  const work = await mkdtemp(path.join(tmpdir(), "parley-backup-"));
  const client = new pg.Client({ connectionString: options.databaseUrl });
  client.on("error", () => {});
  let archive: ReturnType<typeof writeArchive> | undefined;
  try {
    await client.connect().catch((err: Error) => {
      throw new BackupError(`Cannot connect to the database: ${err.message}`);
    });
    const dumped = await dumpDatabase(client, work);
    const manifest: TManifest = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      parleyVersion: await parleyVersion(),
      ...dumped,
    };
    const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
    log(
      `database: ${manifest.tables.length} tables, ${rows} rows, at migration ${manifest.migrations.at(-1)?.name}`,
    );

    try {
      archive = writeArchive(file);
    } catch (err) {
      throw new BackupError(`Cannot write ${file}: ${(err as Error).message}`);
    }
    await archive.addBuffer(MANIFEST_ENTRY, Buffer.from(JSON.stringify(manifest, null, 2)));
    for (const table of manifest.tables) {
      await archive.addStream(`${TABLE_PREFIX}${table.name}`, table.bytes, openTableFile(work, table.name));
    }

    const objects: TObjectEntry[] = [];
    let bytes = 0;
    for await (const listed of storage.listObjects()) {
      const info = await storage.statObject(listed.key);
      if (!info) continue; // deleted since it was listed
      const h = hasher();
      const body = await storage.getObject(listed.key);
      await archive.addStream(`${OBJECT_PREFIX}${listed.key}`, info.size, body, h.stream);
      objects.push({ key: listed.key, size: info.size, contentType: info.contentType, sha256: h.sha256() });
      bytes += info.size;
    }
    const index: TObjectIndex = { count: objects.length, bytes, objects };
    await archive.addBuffer(OBJECT_INDEX_ENTRY, Buffer.from(JSON.stringify(index)));
    await archive.finish();
    log(`objects: ${objects.length} (${bytes} bytes)`);
    // Best effort: a backup taken from a read-only replica is still a good backup.
    await recordCliAudit(client, "backup.created", {
      file: path.basename(file),
      tables: manifest.tables.length,
      rows,
      objects: objects.length,
      bytes,
    }).catch((err: Error) => log(`not recorded in the audit log: ${err.message}`));
    return { file, manifest, objects: index };
  } catch (err) {
    await archive?.abort();
    throw err;
  } finally {
    await client.end().catch(() => {});
    await rm(work, { recursive: true, force: true });
  }
}
