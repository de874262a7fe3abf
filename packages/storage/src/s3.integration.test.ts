import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deterministicStream, digestOf, runStorageContract } from "./contract.ts";
import { createS3Storage, type TS3StorageOptions } from "./s3.ts";

// The test server: `eval "$(bash scripts/s3-server.sh start)"` (Swift + s3api on loopback); npm test
// picks it up by itself when it is running.
const env = process.env;

/** The S3_* settings of the environment, on the test bucket. */
const options = (overrides: Partial<TS3StorageOptions> = {}): TS3StorageOptions => ({
  endPoint: env.S3_ENDPOINT ?? "",
  port: env.S3_PORT ? Number(env.S3_PORT) : undefined,
  useSSL: env.S3_USE_SSL === "true",
  accessKey: env.S3_ACCESS_KEY ?? "",
  secretKey: env.S3_SECRET_KEY ?? "",
  bucket: env.S3_TEST_BUCKET ?? "parley-test",
  region: env.S3_REGION ?? "us-east-1",
  pathStyle: env.S3_PATH_STYLE !== "false",
  ...overrides,
});

if (env.S3_ENDPOINT) {
  runStorageContract("s3", async () => ({ storage: createS3Storage(options()) }));

  describe("S3 storage specifics", () => {
    it("uploads a stream above the part size as a multipart upload", async () => {
      const storage = createS3Storage(options({ partSize: 5 * 1024 * 1024 }));
      await storage.ensureBucket();
      const key = `specifics/${randomUUID()}/multipart.bin`;
      const size = 11 * 1024 * 1024;
      const expected = await digestOf(deterministicStream(key, size));
      await storage.putObject(key, deterministicStream(key, size), {
        contentType: "application/octet-stream",
      });
      // A multipart object's etag is md5(part md5s)-<part count>.
      expect((await storage.statObject(key))?.etag).toMatch(/-\d+$/);
      expect(await digestOf(await storage.getObject(key))).toEqual(expected);
      await storage.deleteObject(key);
      expect(await storage.statObject(key)).toBeNull();
    });

    it("fails clearly with a wrong secret", async () => {
      const storage = createS3Storage(options({ secretKey: "wrong" }));
      await expect(storage.statObject("any/key")).rejects.toThrow();
    });
  });
} else if (env.CI === "true") {
  describe("Storage contract: s3", () => {
    it("needs a real S3 server in CI", () => {
      throw new Error(
        'S3_ENDPOINT is not set. Start the test server with `eval "$(bash scripts/s3-server.sh start)"` ' +
          "before the tests (.ci/run does), or export S3_ENDPOINT/S3_PORT/S3_ACCESS_KEY/S3_SECRET_KEY.",
      );
    });
  });
} else {
  describe.skip("Storage contract: s3 (S3_ENDPOINT not set; run `bash scripts/s3-server.sh start`)", () => {
    it("skipped", () => {});
  });
}
