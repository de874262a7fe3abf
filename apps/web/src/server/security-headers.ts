/**
 * The per-request security headers (set by src/proxy.ts on every page and API answer — and by the
 * two routes the proxy skips, see `storedFileSecurityHeaders`; the
 * request-independent ones — X-Frame-Options, nosniff, Referrer-Policy, Permissions-Policy — are
 * next.config.ts's, on static files too). Pure: settings in, headers out, so a unit test covers
 * every branch.
 *
 * The Content-Security-Policy is strict and nonce-based: a script runs only when it carries this
 * response's nonce (Next puts it on its own scripts, read from the request's CSP header) or is
 * loaded by one that does ('strict-dynamic': Next's chunk loader). Adding an origin: put it in the
 * one directive that needs it, here, and say why; the e2e spec security-headers.spec.ts fails on
 * any CSP violation while using the app.
 */
import { storageBrowserOrigin, type TStorageOriginEnv } from "@parley/storage/origin";

/** The settings the headers depend on; `TEnv` from @parley/config fits. */
export type TSecurityHeadersEnv = TStorageOriginEnv & {
  PUBLIC_URL: string;
  REALTIME_PUBLIC_URL: string;
};

/** HSTS for a year, subdomains included (sent only when PUBLIC_URL is https). */
export const HSTS_VALUE = "max-age=31536000; includeSubDomains";

/** 16 random bytes, base64: a fresh CSP nonce (one per response). */
export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
}

/** True when the app is served over https (HSTS, upgrade-insecure-requests, Secure cookies). */
export function isHttps(env: Pick<TSecurityHeadersEnv, "PUBLIC_URL">): boolean {
  return new URL(env.PUBLIC_URL).protocol === "https:";
}

/** The Content-Security-Policy of one response. `isDev`: `next dev` (it needs eval and inline styles). */
export function contentSecurityPolicy(env: TSecurityHeadersEnv, nonce: string, isDev = false): string {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(nonce)) throw new RangeError("a CSP nonce must be base64");
  // Presigned S3 URLs (uploads are PUT there by XHR; <img>/<audio>/<video> follow /api/files'
  // redirect there). Local disk is served by the app itself ('self').
  const storage = storageBrowserOrigin(env);
  const realtime = new URL(env.REALTIME_PUBLIC_URL).origin;
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    // React's dev build evaluates server error stacks; production never evals.
    ["script-src", "'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(isDev ? ["'unsafe-eval'"] : [])],
    // <style> and stylesheets: our own files, or Next's inline ones with the nonce (dev injects
    // styles without one). Style *attributes* are another matter: the app renders `style={…}`
    // (virtual-list offsets, meter widths, popover positions), which server rendering writes into
    // the HTML as `style="…"`; a nonce cannot cover an attribute, so 'unsafe-inline' is allowed for
    // attributes only (style-src-attr). They cannot run script; React escapes everything a user
    // typed, so they are no injection path either.
    ["style-src", "'self'", isDev ? "'unsafe-inline'" : `'nonce-${nonce}'`],
    ["style-src-attr", "'unsafe-inline'"],
    // blob: previews of files about to be uploaded; data: the favicon with the unread badge
    // (drawn on a canvas, lib/unread-badge.ts). Images run no script.
    ["img-src", "'self'", "blob:", "data:", ...(storage ? [storage] : [])],
    ["media-src", "'self'", "blob:", ...(storage ? [storage] : [])],
    ["font-src", "'self'"],
    // tRPC and next-auth on 'self'; the realtime gateway (same origin when embedded, but listed:
    // not every browser matches ws: against 'self', and a separate gateway has its own origin).
    ["connect-src", "'self'", realtime, ...(storage ? [storage] : [])],
    // public/sw.js, the web-push service worker.
    ["worker-src", "'self'"],
    ["manifest-src", "'self'"],
    ["object-src", "'none'"],
    ["base-uri", "'none'"],
    ["form-action", "'self'"],
    ["frame-ancestors", "'none'"],
  ];
  if (isHttps(env)) directives.push(["upgrade-insecure-requests"]);
  return directives.map((d) => d.join(" ")).join("; ");
}

/** The headers `proxy.ts` sets on a response: the CSP, and HSTS when PUBLIC_URL is https. */
export function securityHeaders(env: TSecurityHeadersEnv, nonce: string, isDev = false): [string, string][] {
  const headers: [string, string][] = [["Content-Security-Policy", contentSecurityPolicy(env, nonce, isDev)]];
  if (isHttps(env)) headers.push(["Strict-Transport-Security", HSTS_VALUE]);
  return headers;
}

/**
 * The Content-Security-Policy of everything `/api/files/local/…` answers (local-disk storage's
 * signed URLs): stored bytes served from the app's own origin must never run as one of its pages,
 * so the document is sandboxed and may load nothing but its own image or media; nothing may frame
 * it. Stricter than the app's policy, so it needs no nonce.
 */
export const STORED_FILE_CSP =
  "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The headers of a route the request proxy skips because it would buffer (and cut at 10 MB) the
 * request body — local-disk file uploads: the CSP above, and HSTS when PUBLIC_URL is https.
 */
export function storedFileSecurityHeaders(env: Pick<TSecurityHeadersEnv, "PUBLIC_URL">): [string, string][] {
  const headers: [string, string][] = [["Content-Security-Policy", STORED_FILE_CSP]];
  if (isHttps(env)) headers.push(["Strict-Transport-Security", HSTS_VALUE]);
  return headers;
}
