/**
 * `GET /api/previews/<messageId>/image` — a link preview's image, from Parley's origin: the
 * browser never loads the page's own image URL (SECURITY.md, "Link previews"). Checks now that the
 * signed-in user can read the message and that it still shows a preview with an image
 * (messages.previewImageUrl; 404 otherwise, unknown and unreadable alike), then redirects to a
 * presigned URL of the server's re-encoded copy, kept by this browser for a minute.
 */

import { serverCaller } from "~/server/caller";
import { redirectToPresigned } from "~/server/presigned-redirect";

export const dynamic = "force-dynamic";

export async function GET(
  _request: Request,
  { params }: { params: Promise<{ messageId: string }> },
): Promise<Response> {
  const { messageId } = await params;
  return redirectToPresigned(async () => (await serverCaller()).messages.previewImageUrl({ messageId }), 60);
}
