/**
 * `GET /api/files/<attachmentId>[?variant=thumbnail]` — a stable URL for `<img src>` and links.
 * Checks the signed-in user's access now (via files.downloadUrl) and redirects to a short-lived
 * presigned URL; the bytes never pass through here when storage is S3.
 */

import { serverCaller } from "~/server/caller";
import { redirectToPresigned } from "~/server/presigned-redirect";

export const dynamic = "force-dynamic";

export async function GET(
  request: Request,
  { params }: { params: Promise<{ attachmentId: string }> },
): Promise<Response> {
  const { attachmentId } = await params;
  const variant = new URL(request.url).searchParams.get("variant") === "thumbnail" ? "thumbnail" : "original";
  // Briefly cacheable by this browser only: the presigned URL itself lives a few minutes.
  return redirectToPresigned(
    async () => (await serverCaller()).files.downloadUrl({ attachmentId, variant }),
    60,
  );
}
