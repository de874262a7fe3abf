/**
 * `npm run restore`: an archive into an EMPTY database and object store (a non-empty one is
 * refused unless `force`). In order, so that nothing half-restored is left behind silently:
 *   1. read the manifest: format and migrations must be known to this checkout (else refused);
 *   2. check the targets are empty (or `force`);
 *   3. read the whole archive once, checking every entry's sha256 — a damaged archive is refused
 *      here, before anything is written;
 *   4. apply the archive's migrations, then in ONE transaction load every table and,
 *      while it is still open, upload every object; commit last;
 *   5. apply this checkout's newer migrations, if any (the same as the next `npm start` would);
 *   6. record the restore in the audit log (`backup.restored`, no actor: audit.ts).
 * If 4 fails, the transaction is rolled back, the uploaded objects are deleted and the schema is
 * dropped again: the database is left empty and the error says so.
 */

import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { TStorage } from "@parley/storage";
import pg from "pg";
import { digest, hasher, readAll, readArchive } from "./archive.ts";
import { recordCliAudit } from "./audit.ts";
import { isDatabaseEmpty, startLoad, wipeDatabase } from "./database.ts";
import {
  BackupError,
  FORMAT_VERSION,
  MANIFEST_ENTRY,
  OBJECT_INDEX_ENTRY,
  OBJECT_PREFIX,
  parseEntryJson,
  TABLE_PREFIX,
  type TManifest,
  type TObjectIndex,
  ZManifest,
  ZObjectIndex,
} from "./manifest.ts";
import { applyMigrations, checkCompatible, migrateToCurrent } from "./migrations.ts";

export type TRestoreOptions = {
  databaseUrl: string;
  storage: TStorage;
  /** The archive written by `createBackup`. */
  file: string;
  /** Restore into a non-empty database (everything in its public schema is dropped first) and store. */
  force?: boolean;
  log?: (line: string) => void;
};

export type TRestoreResult = { manifest: TManifest; objects: TObjectIndex; migratedForward: number };

/** The archive's manifest (its first entry), checked for format and version. */
export async function readManifest(file: string): Promise<TManifest> {
  for await (const entry of readArchive(file)) {
    if (entry.name !== MANIFEST_ENTRY) break;
    const manifest = parseEntryJson(ZManifest, MANIFEST_ENTRY, (await readAll(entry.body)).toString("utf8"));
    if (manifest.formatVersion > FORMAT_VERSION) {
      throw new BackupError(
        `This backup uses archive format ${manifest.formatVersion} (Parley ${manifest.parleyVersion}); this Parley reads format ${FORMAT_VERSION}. Upgrade Parley first.`,
      );
    }
    return manifest;
  }
  throw new BackupError(`${file} is not a Parley backup: it does not start with ${MANIFEST_ENTRY}`);
}

/** Reads every entry and checks it against the manifest and the object index; returns the index. */
export async function verifyArchive(file: string, manifest: TManifest): Promise<TObjectIndex> {
  const seen = new Map<string, { size: number; sha256: string }>();
  let tableIndex = 0;
  let index: TObjectIndex | undefined;
  let isFirst = true;
  for await (const entry of readArchive(file)) {
    if (isFirst) {
      isFirst = false;
      continue; // the manifest, already read
    }
    if (index) throw new BackupError(`Unexpected entry ${entry.name} after ${OBJECT_INDEX_ENTRY}`);
    if (entry.name === OBJECT_INDEX_ENTRY) {
      index = parseEntryJson(ZObjectIndex, OBJECT_INDEX_ENTRY, (await readAll(entry.body)).toString("utf8"));
      continue;
    }
    const h = await digest(entry.body);
    if (entry.name.startsWith(TABLE_PREFIX)) {
      const table = manifest.tables[tableIndex++];
      if (!table || entry.name !== `${TABLE_PREFIX}${table.name}`) {
        throw new BackupError(`Unexpected entry ${entry.name}: the archive does not follow its manifest`);
      }
      if (h.sha256 !== table.sha256 || h.bytes !== table.bytes) {
        throw new BackupError(`Checksum mismatch for table ${table.name}: the archive is damaged`);
      }
    } else if (entry.name.startsWith(OBJECT_PREFIX)) {
      seen.set(entry.name.slice(OBJECT_PREFIX.length), { size: h.bytes, sha256: h.sha256 });
    } else {
      throw new BackupError(`Unexpected entry ${entry.name} in the archive`);
    }
  }
  const missingTable = manifest.tables[tableIndex];
  if (missingTable)
    throw new BackupError(`Table ${missingTable.name} is missing from the archive (truncated?)`);
  if (!index) throw new BackupError(`The archive has no ${OBJECT_INDEX_ENTRY} (truncated?)`);
  if (index.count !== index.objects.length || seen.size !== index.count) {
    throw new BackupError(`The archive holds ${seen.size} objects, its index lists ${index.count}`);
  }
  for (const object of index.objects) {
    const got = seen.get(object.key);
    if (!got) throw new BackupError(`Object ${object.key} is missing from the archive`);
    if (got.sha256 !== object.sha256 || got.size !== object.size) {
      throw new BackupError(`Checksum mismatch for object ${object.key}: the archive is damaged`);
    }
  }
  return index;
}

async function hasAnyObject(storage: TStorage): Promise<boolean> {
  for await (const _ of storage.listObjects()) return true;
  return false;
}

/** Restores `file` (see the header for the steps and what a failure leaves). */
export async function restoreBackup(options: TRestoreOptions): Promise<TRestoreResult> {
  const { storage, file, databaseUrl } = options;
  const log = options.log ?? (() => {});
  const manifest = await readManifest(file);
  const newer = await checkCompatible(manifest.migrations, manifest.parleyVersion);

  const client = new pg.Client({ connectionString: databaseUrl });
  client.on("error", () => {});
  await client.connect().catch((err: Error) => {
    throw new BackupError(`Cannot connect to the database: ${err.message}`);
  });
  try {
    const isEmpty = await isDatabaseEmpty(client);
    if (!isEmpty && !options.force) {
      throw new BackupError(
        "The database is not empty; restore into an empty one, or pass --force to replace its contents",
      );
    }
    await storage.ensureBucket();
    if (!options.force && (await hasAnyObject(storage))) {
      throw new BackupError(
        "The object store is not empty; restore into an empty bucket/directory, or pass --force",
      );
    }
    log(`checking ${file} (Parley ${manifest.parleyVersion}, ${manifest.createdAt})`);
    const objects = await verifyArchive(file, manifest);
    const types = new Map(objects.objects.map((o) => [o.key, o]));

    if (!isEmpty) await wipeDatabase(client);
    const uploaded: string[] = [];
    try {
      await applyMigrations(client, manifest.migrations);
      await client.query("BEGIN");
      const loader = await startLoad(client, manifest);
      let tableIndex = 0;
      for await (const entry of readArchive(file)) {
        if (entry.name.startsWith(TABLE_PREFIX)) {
          const table = manifest.tables[tableIndex++];
          if (!table) throw new BackupError(`Unexpected entry ${entry.name}`);
          await loader.load(table, entry.body);
          if (tableIndex === manifest.tables.length) await loader.end();
        } else if (entry.name.startsWith(OBJECT_PREFIX)) {
          const object = types.get(entry.name.slice(OBJECT_PREFIX.length));
          if (!object) throw new BackupError(`Unexpected entry ${entry.name}`);
          const h = hasher();
          const feeding = pipeline(entry.body, h.stream);
          uploaded.push(object.key);
          await Promise.all([
            storage.putObject(object.key, h.stream, { size: object.size, contentType: object.contentType }),
            feeding,
          ]);
          if (h.sha256() !== object.sha256)
            throw new BackupError(`Checksum mismatch for object ${object.key}`);
        }
      }
      if (manifest.tables.length === 0) await loader.end();
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      for (const key of uploaded) await storage.deleteObject(key).catch(() => {});
      const isWiped = await wipeDatabase(client).then(
        () => true,
        () => false,
      );
      const left = isWiped
        ? "the database and object store were left empty"
        : "the database could not be emptied";
      throw new BackupError(`Restore failed (${left}): ${(err as Error).message}`);
    }
    const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
    log(`restored ${manifest.tables.length} tables (${rows} rows) and ${objects.count} objects`);
    if (newer > 0) {
      log(`applying ${newer} newer migration(s)`);
      await migrateToCurrent(databaseUrl);
    }
    await recordCliAudit(client, "backup.restored", {
      file: path.basename(file),
      backupCreatedAt: manifest.createdAt,
      parleyVersion: manifest.parleyVersion,
      rows,
      objects: objects.count,
    });
    return { manifest, objects, migratedForward: newer };
  } finally {
    await client.end().catch(() => {});
  }
}
