/**
 * What the Slack import tests share: the upload an admin's browser does (create → PUT to the
 * presigned key → start). Their attachment store is `testStorage("import")` (helpers.ts).
 */
import type { TDb } from "@parley/db";
import type { TStorage } from "@parley/storage";
import type { TActor } from "../src/actor.ts";
import { createSlackImport, startSlackImport } from "../src/slack-import/requests.ts";

/** Uploads `zip` as the browser would (to the presigned key) and starts the import (queued). */
export async function uploadAndStart(
  db: TDb,
  storage: TStorage,
  admin: TActor,
  zip: Buffer,
): Promise<{ id: string; objectKey: string }> {
  const { import: created } = await createSlackImport(db, storage, admin, {
    fileName: "export.zip",
    size: zip.length,
  });
  const { objectKey } = await db.slackImport.findUniqueOrThrow({ where: { id: created.id } });
  await storage.putObject(objectKey, zip, { contentType: "application/zip", size: zip.length });
  await startSlackImport(db, storage, admin, { id: created.id });
  return { id: created.id, objectKey };
}
