/**
 * What the Slack import tests share: the attachment store (the real S3 server when S3_ENDPOINT is
 * set, else local disk, made before the file's tests and removed after them) and the upload an
 * admin's browser does (create → PUT to the presigned key → start).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TDb } from "@parley/db";
import { createLocalStorage, createS3Storage, type TStorage } from "@parley/storage";
import { afterAll, beforeAll } from "vitest";
import type { TActor } from "../src/actor.ts";
import { createSlackImport, startSlackImport } from "../src/slack-import/requests.ts";

/** The file's attachment store (see the header); `storage` throws outside the file's tests. */
export function useImportStorage(): { readonly storage: TStorage } {
  let storage: TStorage | undefined;
  let localDir: string | undefined;
  beforeAll(async () => {
    if (process.env.S3_ENDPOINT) {
      storage = createS3Storage({
        endPoint: process.env.S3_ENDPOINT,
        port: process.env.S3_PORT ? Number(process.env.S3_PORT) : undefined,
        useSSL: process.env.S3_USE_SSL === "true",
        accessKey: process.env.S3_ACCESS_KEY ?? "",
        secretKey: process.env.S3_SECRET_KEY ?? "",
        bucket: `parley-import-${process.pid}`,
        region: process.env.S3_REGION ?? "us-east-1",
        pathStyle: process.env.S3_PATH_STYLE !== "false",
      });
    } else {
      localDir = await mkdtemp(path.join(tmpdir(), "parley-import-"));
      storage = createLocalStorage({
        dir: localDir,
        publicBaseUrl: "http://127.0.0.1",
        secret: "x".repeat(32),
      });
    }
    await storage.ensureBucket();
  });
  afterAll(async () => {
    if (localDir) await rm(localDir, { recursive: true, force: true });
  });
  return {
    get storage(): TStorage {
      if (!storage) throw new Error("the import storage exists only while the file's tests run");
      return storage;
    },
  };
}

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
