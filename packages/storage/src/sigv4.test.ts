import { describe, expect, it } from "vitest";
import { presignV4, uriEncode } from "./sigv4.ts";

describe("presignV4", () => {
  it("reproduces AWS's published presigned GET example", () => {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
    const url = presignV4({
      method: "GET",
      protocol: "https:",
      host: "examplebucket.s3.amazonaws.com",
      path: "/test.txt",
      accessKey: "AKIAIOSFODNN7EXAMPLE",
      secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      region: "us-east-1",
      date: new Date("2013-05-24T00:00:00Z"),
      expiresSec: 86_400,
    });
    expect(new URL(url).searchParams.get("X-Amz-Signature")).toBe(
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
    );
  });

  it("signs extra headers and lists them in X-Amz-SignedHeaders", () => {
    const url = new URL(
      presignV4({
        method: "PUT",
        protocol: "http:",
        host: "127.0.0.1:9000",
        path: "/b/k",
        headers: { "Content-Type": "image/png", "content-length": "5" },
        accessKey: "a",
        secretKey: "s",
        region: "us-east-1",
        expiresSec: 60,
      }),
    );
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host");
  });

  it("rejects expiries S3 does not accept", () => {
    const base = {
      method: "GET",
      protocol: "http:",
      host: "h",
      path: "/b/k",
      accessKey: "a",
      secretKey: "s",
    };
    expect(() => presignV4({ ...base, region: "us-east-1", expiresSec: 0 })).toThrow(RangeError);
    expect(() => presignV4({ ...base, region: "us-east-1", expiresSec: 604_801 })).toThrow(RangeError);
  });

  it("encodes like RFC 3986, keeping slashes only in paths", () => {
    expect(uriEncode("a b/ü!*'()~._-", true)).toBe("a%20b/%C3%BC%21%2A%27%28%29~._-");
    expect(uriEncode("a/b")).toBe("a%2Fb");
  });
});
