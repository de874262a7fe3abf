import { getStorage, type TFilesEnv } from "@parley/core/files";
import { serveLocalFile } from "@parley/storage";

/** What the web app's route does with a local-disk signed URL (apps/web/src/server/local-files.ts). */
export async function handleLocalFileRequest(env: TFilesEnv, request: Request): Promise<Response> {
  return serveLocalFile(await getStorage(env), request);
}
