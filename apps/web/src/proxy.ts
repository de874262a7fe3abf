/**
 * Next's request proxy (Next 16's name for middleware; Node runtime): a fresh CSP nonce for every
 * page and API request. The policy goes on the response and, per Next's CSP guide, on the request
 * too: Next reads the nonce from the request's `Content-Security-Policy` while rendering and puts
 * it on its own scripts. A client cannot choose the nonce: whatever it sent under that name is
 * replaced. Every page renders per request (the root layout is dynamic), so no prerendered HTML
 * carries a stale nonce or none. The policy itself: server/security-headers.ts.
 */
import { type NextRequest, NextResponse } from "next/server";
import { env } from "~/env";
import { newNonce, securityHeaders } from "~/server/security-headers";

export function proxy(request: NextRequest): NextResponse {
  const settings = env();
  const headers = securityHeaders(settings, newNonce(), settings.NODE_ENV === "development");
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", new Map(headers).get("Content-Security-Policy") ?? "");
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of headers) response.headers.set(name, value);
  return response;
}

export const config = {
  // Hashed build assets and Next's image optimizer are not documents: no policy needed there
  // (they keep next.config.ts's headers). Upload URLs are skipped because a proxy would buffer
  // their bodies (Next clones a proxied request's body, cutting it at 10 MB): bots' (api/slack/
  // upload/, no document either) and local-disk storage's (api/files/local/, browser uploads
  // without S3 — that route sets its own, stricter policy: storedFileSecurityHeaders).
  matcher: ["/((?!_next/static|_next/image|favicon.ico|api/slack/upload/|api/files/local/).*)"],
};
