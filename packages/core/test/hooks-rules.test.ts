/**
 * Issue 15, pure rules of incoming webhooks and slash commands: which addresses a callback may
 * reach (the SSRF guard), which URLs are callbacks at all, the send path's slash rule, Slack's
 * signature, and how a hook payload becomes a body (Slack's error strings when it cannot).
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  CallbackRefusedError,
  hookBody,
  isAllowListed,
  isPublicAddress,
  parseCallbackUrl,
  parseHookPayload,
  postCallback,
  readSlash,
  slackSignature,
} from "../src/hooks/index.ts";

describe("callback address guard", () => {
  it("allows only global unicast addresses", () => {
    for (const ok of ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
      expect(isPublicAddress(ok), ok).toBe(true);
    for (const bad of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254", // cloud metadata
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "fc00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "224.0.0.1",
      "fe80::1%eth0",
      "not an address",
    ]) {
      expect(isPublicAddress(bad), bad).toBe(false);
    }
  });

  it("accepts http(s) URLs without credentials, and allow-lists by host or host:port", () => {
    expect(parseCallbackUrl("https://tools.example.com/x").hostname).toBe("tools.example.com");
    for (const bad of ["ftp://x.test/", "file:///etc/passwd", "https://u:p@x.test/", "nope"]) {
      expect(() => parseCallbackUrl(bad), bad).toThrow(CallbackRefusedError);
    }
    expect(isAllowListed(new URL("http://ci.internal:8080/"), ["ci.internal:8080"])).toBe(true);
    expect(isAllowListed(new URL("http://ci.internal:8081/"), ["ci.internal:8080"])).toBe(false);
    expect(isAllowListed(new URL("https://ci.internal/"), ["ci.internal"])).toBe(true);
    expect(isAllowListed(new URL("https://other.internal/"), ["ci.internal"])).toBe(false);
  });

  it("refuses loopback, decimal-encoded and metadata hosts before connecting", async () => {
    for (const url of [
      "http://127.0.0.1:9/",
      "http://2130706433/",
      "http://169.254.169.254/",
      "http://[::1]/",
    ]) {
      await expect(postCallback(url, "", {}, { timeoutMs: 500, allowHosts: [] }), url).rejects.toBeInstanceOf(
        CallbackRefusedError,
      );
    }
    // A name that resolves to loopback is refused at lookup.
    await expect(
      postCallback("http://localhost:9/", "", {}, { timeoutMs: 500, allowHosts: [] }),
    ).rejects.toBeInstanceOf(CallbackRefusedError);
  });
});

describe("the send path's slash rule", () => {
  it("reads commands, unescapes // and leaves other text alone", () => {
    expect(readSlash("/deploy web now")).toEqual({ command: "deploy", args: "web now" });
    expect(readSlash("/Deploy")).toEqual({ command: "deploy", args: "" });
    expect(readSlash("//deploy web")).toEqual({ text: "/deploy web" });
    expect(readSlash("/usr/bin/env")).toEqual({ text: "/usr/bin/env" });
    expect(readSlash("hello /deploy")).toEqual({ text: "hello /deploy" });
    expect(readSlash("/1abc")).toEqual({ text: "/1abc" });
  });

  it("signs like Slack: v0=HMAC-SHA256(secret, 'v0:' + ts + ':' + body)", () => {
    const body = "command=%2Fdeploy&text=x";
    const expected = createHmac("sha256", "s3cret").update(`v0:1700000000:${body}`).digest("hex");
    expect(slackSignature("s3cret", 1_700_000_000, body)).toBe(`v0=${expected}`);
  });
});

describe("incoming webhook payloads", () => {
  it("reads JSON or a form's payload, converts mrkdwn and prefers blocks", () => {
    expect(hookBody(parseHookPayload("application/json", '{"text":"*hi*"}'))).toBe("**hi**");
    expect(hookBody(parseHookPayload("application/json", '{"text":"*hi*","mrkdwn":false}'))).toBe("*hi*");
    const form = `payload=${encodeURIComponent('{"text":"from form"}')}`;
    expect(hookBody(parseHookPayload("application/x-www-form-urlencoded", form))).toBe("from form");
    const blocks =
      '{"text":"fallback","blocks":[{"type":"header","text":{"type":"plain_text","text":"Title"}}]}';
    expect(hookBody(parseHookPayload("application/json", blocks))).toBe("**Title**");
  });

  it("answers Slack's error strings", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as { code?: string }).code;
      }
      return "none";
    };
    expect(code(() => parseHookPayload("application/json", "{"))).toBe("invalid_payload");
    expect(code(() => parseHookPayload("application/json", '{"blocks":"x"}'))).toBe("invalid_payload");
    expect(code(() => hookBody(parseHookPayload("application/json", "{}")))).toBe("no_text");
  });
});
