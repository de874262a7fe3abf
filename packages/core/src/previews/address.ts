/**
 * Which network addresses a link preview may connect to (the SSRF guard's core). The rule is an
 * allow-list of kinds, not a deny-list: only ordinary global unicast addresses pass. Everything
 * ipaddr.js classifies otherwise is refused — private (10/8, 172.16/12, 192.168/16), loopback
 * (127/8, ::1), link-local (169.254/16, fe80::/10: cloud metadata lives there), multicast,
 * CGNAT (100.64/10), unspecified (0.0.0.0, ::), broadcast, reserved, benchmarking, IPv6 ULA
 * (fc00::/7), and the IPv6 forms that carry an IPv4 address or tunnel somewhere (6to4, Teredo,
 * NAT64): an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it maps.
 *
 * URLs: the WHATWG parser already turns decimal, octal and hex IPv4 hosts (http://2130706433/,
 * http://0177.1/, http://0x7f.0.0.1/) into dotted form, so `hostOf` sees 127.0.0.1; hosts are
 * resolved with DNS before the check and the connection goes to the checked address (fetch.ts).
 * To allow another kind, add its ipaddr.js range name to ALLOWED_RANGES (and say why in SECURITY.md).
 */
import ipaddr from "ipaddr.js";

/** The ipaddr.js ranges a preview may reach: global unicast only. */
const ALLOWED_RANGES = new Set(["unicast"]);

/** Why an address was refused (null: allowed). */
export type TAddressVerdict = { isAllowed: true } | { isAllowed: false; range: string };

/**
 * Classifies one IP address (IPv4 or IPv6 text, as DNS or a URL gives it). Unparseable text is
 * refused (`range: "invalid"`); an IPv4-mapped IPv6 address is judged as its IPv4 address.
 */
export function classifyAddress(address: string): TAddressVerdict {
  const text = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  // Zone ids (fe80::1%eth0) are link-local by definition.
  if (text.includes("%")) return { isAllowed: false, range: "linkLocal" };
  if (!ipaddr.isValid(text)) return { isAllowed: false, range: "invalid" };
  let parsed = ipaddr.parse(text);
  if (parsed.kind() === "ipv6") {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  // ipaddr.js also reads the old inet_aton forms ("127.1", "0x7f.1") as the address they mean.
  const range = parsed.range();
  return ALLOWED_RANGES.has(range) ? { isAllowed: true } : { isAllowed: false, range };
}

/** True when `address` is an IP literal (v4 dotted or v6, brackets allowed) rather than a name. */
export function isIpLiteral(host: string): boolean {
  const text = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text);
}

/** An allow-list entry (`host` or `host:port`, from LINK_PREVIEW_ALLOW_HOSTS) matched against a URL. */
export function isAllowListed(url: URL, allowHosts: readonly string[]): boolean {
  if (allowHosts.length === 0) return false;
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const host = url.hostname.toLowerCase();
  return allowHosts.some((entry) => {
    const e = entry.trim().toLowerCase();
    return e === host || e === `${host}:${port}`;
  });
}
