/**
 * The stable-URL routes (`/api/files/…`, `/api/avatars/…`, `/api/emoji/…`): each checks access
 * now through its tRPC procedure (`getUrl`) and answers 302 to the presigned storage URL, kept by
 * this browser only for `maxAgeSeconds` (less than the presigned URL lives) and never sent on as a
 * referrer. A refusal is its HTTP status with the procedure's message (404 for unknown and
 * unreadable alike); anything else is an internal error.
 */
import { TRPCError } from "@trpc/server";

const STATUS: Partial<Record<TRPCError["code"], number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
};

export async function redirectToPresigned(
  getUrl: () => Promise<{ url: string }>,
  maxAgeSeconds: number,
): Promise<Response> {
  try {
    const { url } = await getUrl();
    return new Response(null, {
      status: 302,
      headers: {
        Location: url,
        "Cache-Control": `private, max-age=${maxAgeSeconds}`,
        "Referrer-Policy": "no-referrer",
      },
    });
  } catch (err) {
    const status = err instanceof TRPCError ? STATUS[err.code] : undefined;
    if (status) return new Response(err instanceof Error ? err.message : "", { status });
    throw err;
  }
}
