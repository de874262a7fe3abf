import { describe, expect, it } from "vitest";
import { createStorage, storageBrowserOrigin, type TStorageEnv } from "./index.ts";

const base: TStorageEnv = {
  STORAGE_DIR: "/tmp/parley-files-unit",
  PUBLIC_URL: "https://chat.example.com",
  AUTH_SECRET: "a-secret-that-is-at-least-32-characters-long",
  S3_USE_SSL: false,
  S3_BUCKET: "parley",
  S3_REGION: "us-east-1",
  S3_PATH_STYLE: true,
};

describe("createStorage", () => {
  it("uses local disk when no S3 endpoint is set, with URLs on the public origin", async () => {
    const storage = createStorage(base);
    expect(storage.kind).toBe("local");
    const url = new URL(await storage.presignGet("a b/c.txt", { expiresSec: 60 }));
    expect(url.origin).toBe("https://chat.example.com");
    expect(url.pathname).toBe("/api/files/local/a%20b/c.txt");
  });

  it("uses S3 when S3_ENDPOINT is set and signs path-style URLs for it", async () => {
    const storage = createStorage({
      ...base,
      S3_ENDPOINT: "minio.internal",
      S3_PORT: 9000,
      S3_ACCESS_KEY: "k",
      S3_SECRET_KEY: "s",
    });
    expect(storage.kind).toBe("s3");
    const put = await storage.presignPut("x/y.png", { expiresSec: 60, contentType: "image/png", size: 3 });
    const url = new URL(put.url);
    expect(url.host).toBe("minio.internal:9000");
    expect(url.pathname).toBe("/parley/x/y.png");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host");
    expect(put.headers).toEqual({ "Content-Type": "image/png" });
  });

  it("refuses S3 without keys", () => {
    expect(() => createStorage({ ...base, S3_ENDPOINT: "minio.internal" })).toThrow(/S3_ACCESS_KEY/);
  });
});

// The web's Content-Security-Policy allows storageBrowserOrigin for uploads and downloads: it must
// be the origin the signer really puts in presigned URLs, for every way S3 can be addressed.
describe("storageBrowserOrigin", () => {
  const s3 = { ...base, S3_ENDPOINT: "minio.internal", S3_ACCESS_KEY: "k", S3_SECRET_KEY: "s" };
  it.each([
    ["path style, custom port", { S3_PORT: 9000 }, "http://minio.internal:9000"],
    ["TLS on the default port", { S3_USE_SSL: true, S3_PORT: 443 }, "https://minio.internal"],
    ["virtual-hosted style", { S3_PATH_STYLE: false, S3_PORT: 9000 }, "http://parley.minio.internal:9000"],
    ["a public URL in front", { S3_PUBLIC_URL: "https://files.example.com" }, "https://files.example.com"],
    [
      "a public URL, virtual-hosted",
      { S3_PUBLIC_URL: "https://files.example.com:8443", S3_PATH_STYLE: false },
      "https://parley.files.example.com:8443",
    ],
  ])("is the origin of presigned URLs (%s)", async (_, overrides, origin) => {
    const env = { ...s3, ...overrides };
    const storage = createStorage(env);
    const put = await storage.presignPut("k/a.png", { expiresSec: 60, contentType: "image/png", size: 3 });
    const get = await storage.presignGet("k/a.png", { expiresSec: 60 });
    expect(storageBrowserOrigin(env)).toBe(origin);
    expect(new URL(put.url).origin).toBe(origin);
    expect(new URL(get).origin).toBe(origin);
  });

  it("is null for local disk (the app serves the files on its own origin)", () => {
    expect(storageBrowserOrigin(base)).toBeNull();
  });
});
