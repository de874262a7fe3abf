/**
 * `GET /api/emoji/<id>` — a custom emoji's image for `<img src>`: checks the session (any signed-in
 * user; via emoji.imageUrl) and redirects to a presigned URL of the stored WebP. An emoji's id never
 * gets other bytes (a new upload is a new id), so the browser may keep the redirect for a while.
 */

import { serverCaller } from "~/server/caller";
import { redirectToPresigned } from "~/server/presigned-redirect";

export const dynamic = "force-dynamic";

export async function GET(
  _request: Request,
  { params }: { params: Promise<{ id: string }> },
): Promise<Response> {
  const { id } = await params;
  // The presigned URL lives an hour (EMOJI_URL_TTL_SEC); the redirect is kept for less.
  return redirectToPresigned(async () => (await serverCaller()).emoji.imageUrl({ id }), 1800);
}
