/**
 * Local-disk storage's signed URLs (uploads and downloads when no S3 is configured). The URL's
 * HMAC signature is the authorization: it was issued by files.createUpload / files.downloadUrl
 * after their checks, and binds method, key, expiry, type and size (see @parley/storage local.ts).
 */
import { handleLocalFileRequest } from "@parley/core/files";
import { env } from "~/env";

export const dynamic = "force-dynamic";

function handler(request: Request): Promise<Response> {
  return handleLocalFileRequest(env(), request);
}

export { handler as GET, handler as PUT };
