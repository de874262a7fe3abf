import { parseEnv } from "@parley/config";
import { describe, expect, it } from "vitest";
import {
  contentSecurityPolicy,
  HSTS_VALUE,
  newNonce,
  securityHeaders,
  storedFileSecurityHeaders,
} from "./security-headers.ts";

/** Settings as the app validates them (REALTIME_PUBLIC_URL derived when unset). */
const settings = (vars: Record<string, string>) =>
  parseEnv({ DATABASE_URL: "postgresql://u@localhost/db", AUTH_SECRET: "x".repeat(32), ...vars });

/** The CSP as a map of directive → sources. */
const directives = (csp: string) =>
  new Map(
    csp.split("; ").map((d) => {
      const [name = "", ...sources] = d.split(" ");
      return [name, sources] as const;
    }),
  );

describe("securityHeaders", () => {
  it("sends HSTS for a year with subdomains when PUBLIC_URL is https, and upgrades insecure requests", () => {
    const headers = new Map(
      securityHeaders(settings({ PUBLIC_URL: "https://chat.example.com" }), newNonce()),
    );
    expect(headers.get("Strict-Transport-Security")).toBe("max-age=31536000; includeSubDomains");
    expect(HSTS_VALUE).toBe("max-age=31536000; includeSubDomains");
    expect(directives(headers.get("Content-Security-Policy") ?? "").has("upgrade-insecure-requests")).toBe(
      true,
    );
  });

  it("sends no HSTS and no upgrade when PUBLIC_URL is http", () => {
    const headers = new Map(securityHeaders(settings({ PUBLIC_URL: "http://localhost:3000" }), newNonce()));
    expect(headers.has("Strict-Transport-Security")).toBe(false);
    expect([...headers.keys()]).toEqual(["Content-Security-Policy"]);
    expect(directives(headers.get("Content-Security-Policy") ?? "").has("upgrade-insecure-requests")).toBe(
      false,
    );
  });

  it("allows scripts only with this response's nonce (or loaded by one), never inline or eval in production", () => {
    const nonce = newNonce();
    const csp = directives(
      contentSecurityPolicy(settings({ PUBLIC_URL: "https://chat.example.com" }), nonce),
    );
    expect(csp.get("script-src")).toEqual(["'self'", `'nonce-${nonce}'`, "'strict-dynamic'"]);
    expect(csp.get("style-src")).toEqual(["'self'", `'nonce-${nonce}'`]);
    expect(csp.get("style-src-attr")).toEqual(["'unsafe-inline'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("worker-src")).toEqual(["'self'"]);
    expect(csp.get("default-src")).toEqual(["'self'"]);
    for (const [name, sources] of csp) {
      if (name !== "style-src-attr") expect(sources, name).not.toContain("'unsafe-inline'");
      expect(sources, name).not.toContain("'unsafe-eval'");
      expect(sources, name).not.toContain("*");
    }
  });

  it("allows eval and inline styles under next dev only", () => {
    const csp = directives(contentSecurityPolicy(settings({}), newNonce(), true));
    expect(csp.get("script-src")).toContain("'unsafe-eval'");
    expect(csp.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
  });

  it("lets the page reach the realtime gateway: the embedded one (ws:) and a separate one (wss:)", () => {
    const embedded = directives(
      contentSecurityPolicy(settings({ PUBLIC_URL: "http://localhost:3330" }), "bm9uY2U="),
    );
    expect(embedded.get("connect-src")).toEqual(["'self'", "ws://localhost:3330"]);
    const separate = directives(
      contentSecurityPolicy(
        settings({
          PUBLIC_URL: "https://chat.example.com",
          REALTIME_PUBLIC_URL: "wss://rt.example.com:8443/ws",
        }),
        "bm9uY2U=",
      ),
    );
    expect(separate.get("connect-src")).toEqual(["'self'", "wss://rt.example.com:8443"]);
  });

  it("lets uploads and downloads reach S3 when attachments live there, and nothing else when on disk", () => {
    const s3 = settings({
      PUBLIC_URL: "https://chat.example.com",
      S3_ENDPOINT: "minio",
      S3_PUBLIC_URL: "https://files.example.com",
      S3_ACCESS_KEY: "k",
      S3_SECRET_KEY: "s",
    });
    const withS3 = directives(contentSecurityPolicy(s3, "bm9uY2U="));
    for (const name of ["connect-src", "img-src", "media-src"]) {
      expect(withS3.get(name), name).toContain("https://files.example.com");
    }
    const onDisk = directives(
      contentSecurityPolicy(settings({ PUBLIC_URL: "https://chat.example.com" }), "bm9uY2U="),
    );
    expect(onDisk.get("img-src")).toEqual(["'self'", "blob:", "data:"]);
    expect(onDisk.get("media-src")).toEqual(["'self'", "blob:"]);
    expect(onDisk.get("connect-src")).toEqual(["'self'", "wss://chat.example.com"]);
  });

  it("makes a fresh, unguessable nonce each time and refuses one that could break out of the header", () => {
    const nonces = new Set(Array.from({ length: 100 }, () => newNonce()));
    expect(nonces.size).toBe(100);
    for (const n of nonces) expect(Buffer.from(n, "base64")).toHaveLength(16);
    expect(() => contentSecurityPolicy(settings({}), "x'; script-src *")).toThrow(RangeError);
  });
});

describe("storedFileSecurityHeaders", () => {
  it("sandboxes stored files, lets nothing frame them, and adds HSTS only on https", () => {
    const http = new Map(storedFileSecurityHeaders(settings({ PUBLIC_URL: "http://localhost:3000" })));
    const csp = directives(http.get("Content-Security-Policy") ?? "");
    expect(csp.get("sandbox")).toEqual([]);
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.has("script-src")).toBe(false);
    expect(http.has("Strict-Transport-Security")).toBe(false);
    const https = new Map(storedFileSecurityHeaders(settings({ PUBLIC_URL: "https://chat.example.com" })));
    expect(https.get("Strict-Transport-Security")).toBe(HSTS_VALUE);
  });
});
