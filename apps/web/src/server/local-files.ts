/**
 * The web app's side of local-disk storage: its signed URLs point at this app
 * (`/api/files/local/<key>`), so the route hands them to the configured storage.
 */
import { getStorage, type TFilesEnv } from "@parley/core/files";
import { serveLocalFile } from "@parley/storage";

/**
 * Serves a local-disk signed URL (`/api/files/local/<key>?exp=…&sig=…`): the signature, expiry,
 * content type and size checks live in @parley/storage. 404 when storage is S3.
 */
export async function handleLocalFileRequest(env: TFilesEnv, request: Request): Promise<Response> {
  return serveLocalFile(await getStorage(env), request);
}
