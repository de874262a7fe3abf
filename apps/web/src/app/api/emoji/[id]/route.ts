/**
 * `GET /api/emoji/<id>` — a custom emoji's image for `<img src>`: checks the session (any signed-in
 * user; via emoji.imageUrl) and redirects to a presigned URL of the stored WebP. An emoji's id never
 * gets other bytes (a new upload is a new id), so the browser may keep the redirect for a while.
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
  _request: Request,
  { params }: { params: Promise<{ id: string }> },
): Promise<Response> {
  const { id } = await params;
  try {
    const { url } = await (await serverCaller()).emoji.imageUrl({ id });
    // The presigned URL lives an hour (EMOJI_URL_TTL_SEC); the redirect is kept for less.
    return new Response(null, {
      status: 302,
      headers: { Location: url, "Cache-Control": "private, max-age=1800", "Referrer-Policy": "no-referrer" },
    });
  } catch (err) {
    const status = err instanceof TRPCError ? STATUS[err.code] : undefined;
    if (status) return new Response(err instanceof Error ? err.message : "", { status });
    throw err;
  }
}
