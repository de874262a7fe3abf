/** The SSRF guard's address rule (previews/address.ts): only global unicast passes, however written. */
import { describe, expect, it } from "vitest";
import { classifyAddress, isAllowListed, isIpLiteral } from "../src/previews/address.ts";

const refused = (address: string) => {
  const verdict = classifyAddress(address);
  return verdict.isAllowed ? null : verdict.range;
};

describe("link preview address classification", () => {
  it("allows global unicast IPv4 and IPv6", () => {
    for (const a of ["8.8.8.8", "93.184.216.34", "1.1.1.1", "2001:4860:4860::8888", "2606:4700::1111"]) {
      expect(classifyAddress(a), a).toEqual({ isAllowed: true });
    }
  });

  it("refuses private, loopback, link-local, CGNAT, multicast and other special IPv4 ranges", () => {
    expect(refused("10.0.0.1")).toBe("private");
    expect(refused("172.16.5.4")).toBe("private");
    expect(refused("172.31.255.255")).toBe("private");
    expect(refused("192.168.1.1")).toBe("private");
    expect(refused("127.0.0.1")).toBe("loopback");
    expect(refused("127.255.255.254")).toBe("loopback");
    expect(refused("169.254.169.254")).toBe("linkLocal"); // cloud metadata
    expect(refused("100.64.0.1")).toBe("carrierGradeNat");
    expect(refused("100.127.255.255")).toBe("carrierGradeNat");
    expect(refused("224.0.0.1")).toBe("multicast");
    expect(refused("255.255.255.255")).toBe("broadcast");
    expect(refused("0.0.0.0")).toBe("unspecified");
    expect(refused("192.0.0.8")).not.toBeNull();
    expect(refused("198.18.0.1")).not.toBeNull(); // benchmarking
    // Just outside the ranges: ordinary unicast.
    expect(refused("172.32.0.1")).toBeNull();
    expect(refused("100.128.0.1")).toBeNull();
    expect(refused("11.0.0.1")).toBeNull();
  });

  it("refuses IPv6 loopback, unspecified, unique-local, link-local, multicast and tunnel forms", () => {
    expect(refused("::1")).toBe("loopback");
    expect(refused("::")).toBe("unspecified");
    expect(refused("fd00::1")).toBe("uniqueLocal");
    expect(refused("fc00::1")).toBe("uniqueLocal");
    expect(refused("fe80::1")).toBe("linkLocal");
    expect(refused("fe80::1%eth0")).toBe("linkLocal");
    expect(refused("ff02::1")).toBe("multicast");
    expect(refused("64:ff9b::7f00:1")).not.toBeNull(); // NAT64 of 127.0.0.1
    expect(refused("2002:7f00:1::")).not.toBeNull(); // 6to4 of 127.0.0.1
    expect(refused("2001::1")).not.toBeNull(); // Teredo
    expect(refused("[::1]")).toBe("loopback"); // as URL.hostname gives it
  });

  it("judges IPv4-mapped IPv6 addresses as the IPv4 address they carry", () => {
    expect(refused("::ffff:127.0.0.1")).toBe("loopback");
    expect(refused("::ffff:7f00:1")).toBe("loopback");
    expect(refused("[::ffff:10.0.0.1]")).toBe("private");
    expect(refused("::ffff:169.254.169.254")).toBe("linkLocal");
    expect(refused("::ffff:8.8.8.8")).toBeNull();
  });

  it("sees decimal, octal and hex IPv4 hosts in URLs as the address they mean", () => {
    // The WHATWG URL parser normalises them before the guard sees the host.
    for (const url of [
      "http://2130706433/",
      "http://0177.0.0.1/",
      "http://0x7f.0.0.1/",
      "http://0x7f000001/",
      "http://127.1/",
    ]) {
      const host = new URL(url).hostname;
      expect(host, url).toBe("127.0.0.1");
      expect(refused(host), url).toBe("loopback");
    }
    expect(refused(new URL("http://0xa9fea9fe/").hostname)).toBe("linkLocal"); // 169.254.169.254
    expect(refused(new URL("http://012.0.0.1/").hostname)).toBe("private"); // 10.0.0.1
    // Short forms read directly still mean the same address.
    expect(refused("127.1")).toBe("loopback");
  });

  it("refuses text that is not an address", () => {
    expect(refused("localhost")).toBe("invalid");
    expect(refused("")).toBe("invalid");
    expect(refused("999.1.1.1")).toBe("invalid");
  });

  it("tells IP literals from names", () => {
    expect(isIpLiteral("127.0.0.1")).toBe(true);
    expect(isIpLiteral("[::1]")).toBe(true);
    expect(isIpLiteral("example.com")).toBe(false);
    expect(isIpLiteral("1.2.3.4.example")).toBe(false);
  });

  it("matches allow-list entries by host or host:port", () => {
    const url = new URL("http://127.0.0.1:4000/x");
    expect(isAllowListed(url, ["127.0.0.1:4000"])).toBe(true);
    expect(isAllowListed(url, ["127.0.0.1"])).toBe(true);
    expect(isAllowListed(url, ["127.0.0.1:4001"])).toBe(false);
    expect(isAllowListed(new URL("https://Example.COM/"), ["example.com:443"])).toBe(true);
    expect(isAllowListed(url, [])).toBe(false);
  });
});
