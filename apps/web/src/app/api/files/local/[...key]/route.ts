/**
 * Local-disk storage's signed URLs (uploads and downloads when no S3 is configured). The URL's
 * HMAC signature is the authorization: it was issued by files.createUpload / files.downloadUrl
 * after their checks, and binds method, key, expiry, type and size (see @parley/storage local.ts).
 */

import { env } from "~/env";
import { handleLocalFileRequest } from "~/server/local-files";

export const dynamic = "force-dynamic";

async function handler(request: Request): Promise<Response> {
  try {
    return await handleLocalFileRequest(env(), request);
  } catch (err) {
    // The browser cancelled the upload (or went away): storage already dropped the partial file.
    if (request.signal.aborted || (err instanceof Error && err.message === "aborted")) {
      return new Response(null, { status: 499 });
    }
    throw err;
  }
}

export { handler as GET, handler as PUT };
