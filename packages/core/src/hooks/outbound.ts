/**
 * The one way Parley calls out to an integration (slash-command callbacks), with the SSRF guard in
 * the same small module. Only http(s) URLs; the host is resolved and EVERY address it resolves to
 * must be ordinary global unicast (ipaddr.js's "unicast" range: no private, loopback, link-local —
 * cloud metadata —, CGNAT, ULA, multicast, reserved, or IPv4 tunnelled in IPv6). The connection
 * goes to the address that was checked (a custom `lookup`), so a DNS answer cannot change between
 * the check and the connect. Hosts in the allow-list (`host` or `host:port`, from
 * SLASH_COMMAND_ALLOW_HOSTS) skip the address check: self-hosters' internal tools, and tests.
 * Redirects are not followed. The answer's body is read up to MAX_ANSWER_BYTES.
 *
 * The address rule is link previews' (core/src/previews/address.ts `classifyAddress`): one rule,
 * one place.
 */
import { type LookupAddress, lookup } from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { classifyAddress } from "../previews/address.ts";

/** Largest callback answer read (Slack's answers are small JSON objects). */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** The callback may not be called: a bad URL or an address the guard refuses. Not retried. */
export class CallbackRefusedError extends Error {
  override name = "CallbackRefusedError";
}

/** A network failure or timeout: worth a retry. */
export class CallbackNetworkError extends Error {
  override name = "CallbackNetworkError";
}

/** True for an ordinary global unicast address (an IPv4-mapped IPv6 address is judged as its IPv4). */
export function isPublicAddress(address: string): boolean {
  return classifyAddress(address).isAllowed;
}

/** True when the URL's host (or host:port) is in the allow-list. */
export function isAllowListed(url: URL, allowHosts: readonly string[]): boolean {
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return allowHosts.some((entry) => {
    const e = entry.trim().toLowerCase();
    return e === host || e === `${host}:${port}`;
  });
}

/** Parses and checks a callback URL's form (http or https, no credentials); throws CallbackRefusedError. */
export function parseCallbackUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CallbackRefusedError("not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new CallbackRefusedError("only http(s) URLs");
  if (url.username || url.password) throw new CallbackRefusedError("no credentials in the URL");
  return url;
}

/** A `lookup` that resolves and refuses any non-public address (unless `allowed`). */
function guardedLookup(allowed: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      const refused = addresses.find((a) => !isPublicAddress(a.address));
      if (!allowed && (addresses.length === 0 || refused)) {
        return callback(new CallbackRefusedError(`${hostname} resolves to a non-public address`), "", 0);
      }
      const first = addresses[0] as LookupAddress;
      if ((options as { all?: boolean }).all)
        return (callback as (e: null, a: LookupAddress[]) => void)(null, [first]);
      callback(null, first.address, first.family);
    });
  };
}

export type TCallbackAnswer = { status: number; body: string };

/**
 * POSTs `body` to `url` through the guard; resolves with the status and (capped) body of any HTTP
 * answer. Throws CallbackRefusedError (do not retry) or CallbackNetworkError (timeout, reset, DNS).
 */
export function postCallback(
  urlText: string,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; allowHosts: readonly string[] },
): Promise<TCallbackAnswer> {
  const url = parseCallbackUrl(urlText);
  const allowed = isAllowListed(url, opts.allowHosts);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  // Node connects to IP literals without calling `lookup`: check them here.
  if (!allowed && ipaddr.isValid(host) && !isPublicAddress(host)) {
    return Promise.reject(new CallbackRefusedError(`${host} is not a public address`));
  }
  const send = url.protocol === "https:" ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: "POST",
      headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      lookup: guardedLookup(allowed),
      timeout: opts.timeoutMs,
    });
    const timer = setTimeout(() => req.destroy(new CallbackNetworkError("timed out")), opts.timeoutMs);
    req.on("timeout", () => req.destroy(new CallbackNetworkError("timed out")));
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(
        err instanceof CallbackRefusedError || err instanceof CallbackNetworkError
          ? err
          : new CallbackNetworkError(err.message),
      );
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", (err) => {
        clearTimeout(timer);
        reject(new CallbackNetworkError(err.message));
      });
    });
    req.end(body);
  });
}
