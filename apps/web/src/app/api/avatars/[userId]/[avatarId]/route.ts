/**
 * `GET /api/avatars/<userId>/<avatarId>[?size=64|256]` — a stable URL for an avatar `<img src>`.
 * Checks now that the signed-in user may see the person and that this is their current avatar
 * (profile.avatarUrl), then redirects to a presigned URL valid for an hour. The URL names the
 * avatar's id, so a new avatar is a new URL: the redirect is cached by this browser for 50
 * minutes (less than the presigned URL lives), and an old one answers 404.
 */

import { serverCaller } from "~/server/caller";
import { redirectToPresigned } from "~/server/presigned-redirect";

export const dynamic = "force-dynamic";

export async function GET(
  request: Request,
  { params }: { params: Promise<{ userId: string; avatarId: string }> },
): Promise<Response> {
  const { userId, avatarId } = await params;
  const size = new URL(request.url).searchParams.get("size") === "64" ? 64 : 256;
  return redirectToPresigned(
    async () => (await serverCaller()).profile.avatarUrl({ userId, avatarId, size }),
    3000,
  );
}
