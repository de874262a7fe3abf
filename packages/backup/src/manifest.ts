/**
 * What a Parley backup archive holds, and in which order (a gzipped tar, read as a stream):
 *
 *   manifest.json          this file's ZManifest: format, versions, migrations, tables, sequences
 *   database/<table>       one per table, Postgres COPY text format, in the manifest's order
 *   objects/<key>          one per stored object (attachments, thumbnails, …), any order
 *   objects.json           ZObjectIndex, last: every object's key, size, type and sha256
 *
 * The manifest comes first so a restore refuses a wrong version before reading gigabytes; the
 * object index comes last because objects are streamed straight from storage into the archive
 * and their checksums are known only once they have passed. Every entry is checked against its
 * sha256 before anything is written anywhere. Changing the layout: bump FORMAT_VERSION and keep
 * reading the older one.
 */
import { z } from "zod";

export const FORMAT = "parley-backup";
/** Bumped on any change of the archive's layout or meaning; restores refuse a newer one. */
export const FORMAT_VERSION = 1;

export const MANIFEST_ENTRY = "manifest.json";
export const OBJECT_INDEX_ENTRY = "objects.json";
export const TABLE_PREFIX = "database/";
export const OBJECT_PREFIX = "objects/";

const ZSha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const ZTableDump = z.object({
  name: z.string().min(1),
  columns: z.array(z.string().min(1)).min(1),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: ZSha256,
});
export type TTableDump = z.infer<typeof ZTableDump>;

export const ZManifest = z.object({
  format: z.literal(FORMAT),
  formatVersion: z.number().int().positive(),
  createdAt: z.string(),
  /** The root package.json version of the Parley that wrote it. */
  parleyVersion: z.string(),
  /** `server_version` of the Postgres it was dumped from (informational). */
  postgresVersion: z.string(),
  /** Applied Prisma migrations, in order, with Prisma's checksum (sha256 of migration.sql). */
  migrations: z.array(z.object({ name: z.string().min(1), checksum: ZSha256 })),
  tables: z.array(ZTableDump),
  sequences: z.array(z.object({ name: z.string().min(1), value: z.string().nullable() })),
});
export type TManifest = z.infer<typeof ZManifest>;

export const ZObjectEntry = z.object({
  key: z.string().min(1),
  size: z.number().int().nonnegative(),
  contentType: z.string().min(1),
  sha256: ZSha256,
});
export type TObjectEntry = z.infer<typeof ZObjectEntry>;

export const ZObjectIndex = z.object({
  count: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  objects: z.array(ZObjectEntry),
});
export type TObjectIndex = z.infer<typeof ZObjectIndex>;

/** A backup or restore refused or failed for a reason the operator can act on. */
export class BackupError extends Error {
  override name = "BackupError";
}

/** Parses an entry's JSON against `schema`, naming the entry when it does not fit. */
export function parseEntryJson<T>(schema: z.ZodType<T>, name: string, text: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BackupError(`The archive's ${name} is not valid JSON: the archive is damaged`);
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new BackupError(`The archive's ${name} is not a Parley backup manifest: ${result.error.message}`);
  }
  return result.data;
}
