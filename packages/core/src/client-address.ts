/**
 * The client's address, decided in ONE place: the TCP peer, unless that peer is a proxy the
 * operator trusts (TRUST_PROXY), in which case `X-Forwarded-For` is walked from the right, past
 * trusted hops only (`proxy-addr`, the code behind Express's "trust proxy"). A client-supplied
 * `X-Forwarded-For` on a direct connection is therefore ignored. The result feeds the sign-in rate
 * limits and the address recorded for each session.
 *
 * apps/web/server.ts computes it for every request on the raw socket and hands it to Next's route
 * handlers in CLIENT_ADDRESS_HEADER, overwriting whatever the client sent under that name.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { TTrustProxy } from "@parley/config";
import proxyaddr from "proxy-addr";

/** The request header apps/web/server.ts sets to the computed client address (never the client's). */
export const CLIENT_ADDRESS_HEADER = "x-parley-client-address";

export type TTrustFn = (addr: string, hop: number) => boolean;

/** proxy-addr's trust function for a TRUST_PROXY setting. */
export function compileTrust(trust: TTrustProxy): TTrustFn {
  if (trust === false) return () => false;
  if (trust === true) return () => true;
  if (typeof trust === "number") return (_addr, hop) => hop < trust;
  return proxyaddr.compile(trust);
}

/** What clientAddress needs of a request: node's IncomingMessage has it. */
export type TRequestLike = {
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string | undefined };
};

/** The client's address (IPv4-mapped IPv6 shown as IPv4), or undefined when the socket has none. */
export function clientAddress(req: TRequestLike, trust: TTrustFn): string | undefined {
  if (!req.socket.remoteAddress) return undefined;
  // proxy-addr reads req.connection on old node versions; the socket is the same object.
  const addr = proxyaddr(req as Parameters<typeof proxyaddr>[0], trust);
  return addr.startsWith("::ffff:") && addr.includes(".") ? addr.slice(7) : addr;
}
