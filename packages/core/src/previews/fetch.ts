/**
 * Fetching a page for a link preview without becoming an SSRF tool. Per hop (the first URL and
 * every redirect, at most `maxRedirects`):
 * - only http: and https: URLs without user info, on the default port (80/443) unless the host is
 *   on the allow-list;
 * - the host is resolved with DNS FIRST and every address it resolves to must pass
 *   `classifyAddress` (address.ts), unless the host is allow-listed (LINK_PREVIEW_ALLOW_HOSTS, for
 *   tests and intranets; default empty);
 * - the socket connects to that checked address: the request's `lookup` hands it back, so a second
 *   DNS answer (rebinding) is never asked for; TLS still verifies the certificate for the name;
 * - no cookies, no Authorization, no proxy, a fresh agent (no shared keep-alive socket);
 * - the whole fetch (every hop) has one deadline, and the body is read as a stream and cut at
 *   `maxBytes` (enough for a page's <head>; reading stops early once `</head>` arrived);
 * - only `text/html` (or XHTML) answers with status 2xx are read; compressed bodies are refused
 *   (we ask for `identity`).
 * `fetchResource` is the same walk for another kind of body: the preview's image (image.ts) is
 * fetched with it — its own content types, and a body over the limit is refused, not cut.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { DEFAULT_LINK_PREVIEW_MAX_BYTES, DEFAULT_LINK_PREVIEW_TIMEOUT_MS } from "@parley/config";
import { classifyAddress, isAllowListed, isIpLiteral } from "./address.ts";

/** Limits and the allow-list for one fetch. */
export type TPageFetchOptions = {
  allowHosts: readonly string[];
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
};

/** The defaults (config's LINK_PREVIEW_* settings override them). */
export const DEFAULT_PAGE_FETCH: TPageFetchOptions = {
  allowHosts: [],
  timeoutMs: DEFAULT_LINK_PREVIEW_TIMEOUT_MS,
  maxBytes: DEFAULT_LINK_PREVIEW_MAX_BYTES,
  maxRedirects: 3,
};

/** A page's start as fetched, or why there is none (`reason` is logged and tested, never shown). */
export type TPageFetch = { isOk: true; url: string; html: string } | { isOk: false; reason: string };

const USER_AGENT = "ParleyLinkPreview/1.0 (+https://github.com/parley)";
const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);

class Refused extends Error {}

/** The address one hop may connect to (see the header), or a Refused error. */
async function checkedAddress(
  url: URL,
  allowHosts: readonly string[],
): Promise<{ address: string; family: 4 | 6 }> {
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Refused(`scheme ${url.protocol}`);
  if (url.username || url.password) throw new Refused("credentials in URL");
  const isListed = isAllowListed(url, allowHosts);
  if (url.port && !isListed) throw new Refused(`port ${url.port}`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIpLiteral(host)
    ? [{ address: host, family: host.includes(":") ? 6 : 4 }]
    : await dnsLookup(host, { all: true, verbatim: true }).catch(() => {
        throw new Refused("DNS lookup failed");
      });
  if (addresses.length === 0) throw new Refused("no address");
  if (!isListed) {
    for (const a of addresses) {
      const verdict = classifyAddress(a.address);
      if (!verdict.isAllowed) throw new Refused(`address ${a.address} is ${verdict.range}`);
    }
  }
  const first = addresses[0] as { address: string; family: number };
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** One GET to a checked address; resolves with the response head (the body not yet read). */
function request(
  url: URL,
  pinned: { address: string; family: 4 | 6 },
  signal: AbortSignal,
  accept: string,
): Promise<IncomingMessage> {
  const lookup: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    } else callback(null, pinned.address, pinned.family);
  };
  const client = url.protocol === "https:" ? https : http;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    const req = client.request(
      {
        protocol: url.protocol,
        host,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        agent: false,
        lookup,
        signal,
        ...(url.protocol === "https:" && !isIpLiteral(host) ? { servername: host } : {}),
        headers: {
          "user-agent": USER_AGENT,
          accept,
          "accept-encoding": "identity",
        },
      },
      resolve,
    );
    req.on("error", reject);
    req.end();
  });
}

/** Reads at most `maxBytes` of a body, stopping early after `</head>`. */
async function readHead(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    const buf = chunk as Buffer;
    const room = maxBytes - size;
    chunks.push(buf.length > room ? buf.subarray(0, room) : buf);
    size += Math.min(buf.length, room);
    if (size >= maxBytes || buf.includes("</head")) break;
  }
  res.destroy();
  return Buffer.concat(chunks);
}

/** Reads the whole body, refusing it (Refused) once it passes `maxBytes`. */
async function readWhole(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers["content-length"] ?? Number.NaN);
  if (declared > maxBytes) {
    res.destroy();
    throw new Refused(`larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      res.destroy();
      throw new Refused(`larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function decode(body: Buffer, contentType: string): string {
  const charset = /charset=["']?([\w-]+)/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? "utf-8").decode(body);
  } catch {
    return new TextDecoder("utf-8").decode(body);
  }
}

/** What `fetchResource` accepts: the Accept header, the content types read, how the body is read. */
export type TResourceKind = {
  accept: string;
  types: ReadonlySet<string>;
  /** "head": cut at maxBytes (stopping after `</head>`); "whole": refused past maxBytes. */
  read: "head" | "whole";
};

/** A body as fetched (the final URL, its MIME type), or why there is none. */
export type TResourceFetch =
  | { isOk: true; url: string; mime: string; contentType: string; body: Buffer }
  | { isOk: false; reason: string };

/** Fetches one resource under the rules in the header (every hop checked). Never throws. */
export async function fetchResource(
  rawUrl: string,
  kind: TResourceKind,
  options: Partial<TPageFetchOptions> = {},
): Promise<TResourceFetch> {
  const opts = { ...DEFAULT_PAGE_FETCH, ...options };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Refused("time limit")), opts.timeoutMs);
  try {
    let url = new URL(rawUrl);
    for (let hop = 0; ; hop++) {
      const pinned = await checkedAddress(url, opts.allowHosts);
      const res = await request(url, pinned, controller.signal, kind.accept);
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.destroy();
        if (hop >= opts.maxRedirects) throw new Refused("too many redirects");
        url = new URL(res.headers.location, url);
        continue;
      }
      if (status < 200 || status >= 300) {
        res.destroy();
        throw new Refused(`status ${status}`);
      }
      const contentType = res.headers["content-type"] ?? "";
      const mime = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
      if (!kind.types.has(mime)) {
        res.destroy();
        throw new Refused(`content type ${mime || "none"}`);
      }
      const encoding = (res.headers["content-encoding"] ?? "identity").toLowerCase();
      if (encoding !== "identity") {
        res.destroy();
        throw new Refused(`content encoding ${encoding}`);
      }
      const body =
        kind.read === "head" ? await readHead(res, opts.maxBytes) : await readWhole(res, opts.maxBytes);
      return { isOk: true, url: url.toString(), mime, contentType, body };
    }
  } catch (err) {
    if (controller.signal.aborted) return { isOk: false, reason: "time limit" };
    return { isOk: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

const HTML_KIND: TResourceKind = {
  accept: "text/html,application/xhtml+xml;q=0.9",
  types: HTML_TYPES,
  read: "head",
};

/** Fetches the start of an HTML page under the rules in the header. Never throws. */
export async function fetchPage(
  rawUrl: string,
  options: Partial<TPageFetchOptions> = {},
): Promise<TPageFetch> {
  const got = await fetchResource(rawUrl, HTML_KIND, options);
  if (!got.isOk) return got;
  return { isOk: true, url: got.url, html: decode(got.body, got.contentType) };
}
