/**
 * `GET /api/avatars/<userId>/<avatarId>[?size=64|256]` — a stable URL for an avatar `<img src>`.
 * Checks now that the signed-in user may see the person and that this is their current avatar
 * (profile.avatarUrl), then redirects to a presigned URL valid for an hour. The URL names the
 * avatar's id, so a new avatar is a new URL: the redirect is cached by this browser for 50
 * minutes (less than the presigned URL lives), and an old one answers 404.
 */
import { TRPCError } from "@trpc/server";
import { serverCaller } from "~/server/caller";

export const dynamic = "force-dynamic";

const STATUS: Partial<Record<TRPCError["code"], number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
};

export async function GET(
  request: Request,
  { params }: { params: Promise<{ userId: string; avatarId: string }> },
): Promise<Response> {
  const { userId, avatarId } = await params;
  const size = new URL(request.url).searchParams.get("size") === "64" ? 64 : 256;
  try {
    const { url } = await (await serverCaller()).profile.avatarUrl({ userId, avatarId, size });
    return new Response(null, {
      status: 302,
      headers: { Location: url, "Cache-Control": "private, max-age=3000", "Referrer-Policy": "no-referrer" },
    });
  } catch (err) {
    const status = err instanceof TRPCError ? STATUS[err.code] : undefined;
    if (status) return new Response(err instanceof Error ? err.message : "", { status });
    throw err;
  }
}
