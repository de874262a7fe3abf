/**
 * Local-disk storage's signed URLs (uploads and downloads when no S3 is configured). The URL's
 * HMAC signature is the authorization: it was issued by files.createUpload / files.downloadUrl
 * after their checks (membership, MAX_UPLOAD_BYTES and the admin's upload limits), and binds
 * method, key, expiry, type and exact size (see @parley/storage local.ts).
 *
 * The request proxy (src/proxy.ts) skips this path: it would buffer an upload's body and cut it at
 * 10 MB. So the security headers it would have set are set here (`storedFileSecurityHeaders`),
 * on every answer, the stored file's and the refusals alike.
 */

import { env } from "~/env";
import { handleLocalFileRequest } from "~/server/local-files";
import { storedFileSecurityHeaders } from "~/server/security-headers";

export const dynamic = "force-dynamic";

async function serve(request: Request): Promise<Response> {
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

async function handler(request: Request): Promise<Response> {
  const response = await serve(request);
  // Replaces storage's own CSP (the same sandbox, without the app's frame-ancestors and friends).
  for (const [name, value] of storedFileSecurityHeaders(env())) response.headers.set(name, value);
  return response;
}

export { handler as GET, handler as PUT };
