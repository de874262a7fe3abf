/**
 * `GET /api/files/<attachmentId>[?variant=thumbnail]` — a stable URL for `<img src>` and links.
 * Checks the signed-in user's access now (via files.downloadUrl) and redirects to a short-lived
 * presigned URL; the bytes never pass through here when storage is S3.
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
  { params }: { params: Promise<{ attachmentId: string }> },
): Promise<Response> {
  const { attachmentId } = await params;
  const variant = new URL(request.url).searchParams.get("variant") === "thumbnail" ? "thumbnail" : "original";
  try {
    const { url } = await (await serverCaller()).files.downloadUrl({ attachmentId, variant });
    // Briefly cacheable by this browser only: the presigned URL itself lives a few minutes.
    return new Response(null, {
      status: 302,
      headers: { Location: url, "Cache-Control": "private, max-age=60", "Referrer-Policy": "no-referrer" },
    });
  } catch (err) {
    const status = err instanceof TRPCError ? STATUS[err.code] : undefined;
    if (status) return new Response(err instanceof Error ? err.message : "", { status });
    throw err;
  }
}
