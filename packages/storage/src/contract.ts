/**
 * The Storage contract: one vitest suite every backend must pass (local disk and S3 today).
 *
 * `setup` runs once and returns a ready storage (bucket ensured, and for local disk an HTTP server
 * serving its signed URLs, so presigned URLs are fetched over real HTTP for both backends). Each
 * run writes under a fresh random prefix and deletes what it wrote, so a shared bucket is fine.
 * Expiry uses real time (1-second URLs). The 70 MB test is the slow one (S3: multipart path).
 *
 * To extend: add an `it` here (never in one backend's test file only), then run both
 * `local.integration.test.ts` and `s3.integration.test.ts`.
 */
import { createCipheriv, createHash, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidKeyError, ObjectNotFoundError, type TStorage } from "./types.ts";

export type TContractTarget = { storage: TStorage; close?: () => Promise<void> };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `total` deterministic pseudo-random bytes from `seed`, produced 1 MiB at a time (AES-CTR keystream). */
export function deterministicStream(seed: string, total: number, chunk = 1024 * 1024): Readable {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(chunk);
  let left = total;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, left);
      left -= n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

/** sha256 (hex) and length of everything a stream yields. */
export async function digestOf(
  stream: AsyncIterable<Buffer | Uint8Array>,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

async function readAll(stream: AsyncIterable<Buffer | Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Returns `url` with one character of its signature changed. */
function tamper(url: string): string {
  const u = new URL(url);
  const name = u.searchParams.has("X-Amz-Signature") ? "X-Amz-Signature" : "sig";
  const sig = u.searchParams.get(name) ?? "";
  const last = sig.at(-1) === "0" ? "1" : "0";
  u.searchParams.set(name, `${sig.slice(0, -1)}${last}`);
  return u.toString();
}

const BIG = 70 * 1024 * 1024;

/** Registers the Storage contract suite for one backend. */
export function runStorageContract(name: string, setup: () => Promise<TContractTarget>): void {
  describe(`Storage contract: ${name}`, () => {
    let target: TContractTarget;
    let storage: TStorage;
    const prefix = `contract/${randomUUID()}`;
    const written = new Set<string>();
    const keyFor = (label: string) => {
      const key = `${prefix}/${label}`;
      written.add(key);
      return key;
    };
    const bytes = (n: number, seed = "x") =>
      Buffer.from(
        createHash("sha256")
          .update(seed)
          .digest()
          .toString("hex")
          .repeat(Math.ceil(n / 64))
          .slice(0, n),
      );

    beforeAll(async () => {
      target = await setup();
      storage = target.storage;
      await storage.ensureBucket();
      await storage.ensureBucket(); // idempotent
    });

    afterAll(async () => {
      if (!storage) return;
      for (const key of written) await storage.deleteObject(key).catch(() => {});
      await target.close?.();
    });

    it("stores, reads, stats and deletes an object byte-identically", async () => {
      const key = keyFor("round-trip.bin");
      const body = Buffer.concat([bytes(1000), Buffer.from([0, 255, 10, 13])]);
      const put = await storage.putObject(key, body, { contentType: "application/pdf" });
      expect(put.size).toBe(body.length);
      expect(put.etag).toBeTruthy();
      expect(Buffer.compare(await readAll(await storage.getObject(key)), body)).toBe(0);
      const info = await storage.statObject(key);
      expect(info).toMatchObject({ size: body.length, contentType: "application/pdf" });
      expect(info?.etag).toBeTruthy();

      await storage.deleteObject(key);
      expect(await storage.statObject(key)).toBeNull();
      await expect(storage.getObject(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await storage.deleteObject(key); // deleting twice is fine
    });

    it("lists stored objects by prefix with their sizes, and no deleted one", async () => {
      const listed = async (p: string) => {
        const found: { key: string; size: number }[] = [];
        for await (const item of storage.listObjects(p)) found.push(item);
        return found.sort((a, b) => a.key.localeCompare(b.key));
      };
      const a = keyFor("list/a b.txt");
      const b = keyFor("list/nested/ü.bin");
      const gone = keyFor("list/gone.txt");
      await storage.putObject(a, bytes(10), { contentType: "text/plain" });
      await storage.putObject(b, bytes(3000), { contentType: "application/octet-stream" });
      await storage.putObject(gone, bytes(1), { contentType: "text/plain" });
      await storage.deleteObject(gone);
      expect(await listed(`${prefix}/list/`)).toEqual([
        { key: a, size: 10 },
        { key: b, size: 3000 },
      ]);
      expect(await listed(`${prefix}/list/nested/`)).toEqual([{ key: b, size: 3000 }]);
      expect(await listed(`${prefix}/nothing-here/`)).toEqual([]);
    });

    it("stores a stream of unknown length and replaces an existing object", async () => {
      const key = keyFor("stream.txt");
      await storage.putObject(key, Buffer.from("old"), { contentType: "text/plain" });
      const parts = ["alpha ", "beta ", "gamma"];
      const put = await storage.putObject(key, Readable.from(parts.map((p) => Buffer.from(p))), {
        contentType: "text/plain; charset=utf-8",
      });
      expect(put.size).toBe(16);
      expect((await readAll(await storage.getObject(key))).toString()).toBe(parts.join(""));
      expect(await storage.statObject(key)).toMatchObject({
        size: 16,
        contentType: "text/plain; charset=utf-8",
      });
    });

    it("refuses a body that does not match the declared size and stores nothing", async () => {
      const key = keyFor("wrong-size.bin");
      await expect(
        storage.putObject(key, Readable.from([Buffer.from("12345")]), { size: 4, contentType: "text/plain" }),
      ).rejects.toThrow();
      await expect(
        storage.putObject(key, Readable.from([Buffer.from("123")]), { size: 4, contentType: "text/plain" }),
      ).rejects.toThrow();
      expect(await storage.statObject(key)).toBeNull();
    });

    it("rejects, without hanging or storing anything, when the body stream fails midway", async () => {
      const key = keyFor("broken-upload.bin");
      // 20 MiB: above the S3 part size, so the multipart path is the one that must not hang.
      const total = 20 * 1024 * 1024;
      let sent = 0;
      const source = deterministicStream("broken", total);
      const failing = new Readable({
        read() {
          const chunk = source.read() as Buffer | null;
          if (sent > 18 * 1024 * 1024) {
            this.destroy(new Error("client went away"));
            return;
          }
          if (chunk) {
            sent += chunk.length;
            this.push(chunk);
          } else source.once("readable", () => this.read());
        },
      });
      await expect(
        storage.putObject(key, failing, { size: total, contentType: "application/octet-stream" }),
      ).rejects.toThrow();
      expect(await storage.statObject(key)).toBeNull();
    });

    it("reads byte ranges", async () => {
      const key = keyFor("range.bin");
      const body = bytes(5000, "range");
      await storage.putObject(key, body, { contentType: "application/octet-stream" });
      const middle = await readAll(await storage.getObject(key, { start: 100, end: 199 }));
      expect(Buffer.compare(middle, body.subarray(100, 200))).toBe(0);
      const tail = await readAll(await storage.getObject(key, { start: 4990 }));
      expect(Buffer.compare(tail, body.subarray(4990))).toBe(0);
      const clipped = await readAll(await storage.getObject(key, { start: 4998, end: 9999 }));
      expect(Buffer.compare(clipped, body.subarray(4998))).toBe(0);
    });

    it("handles awkward keys: spaces, unicode, punctuation, nesting, a key that is another's folder", async () => {
      const labels = [
        "with space/and more spaces.txt",
        "unicode ü 日本語 😀/file (1) [final].txt",
        "punct/plus+equals=amp&semi;comma,colon:at@dollar$'quote'.bin",
        "percent%20literal%2Fnot-a-slash",
        "deep/a/b/c/d/e/f/g.bin",
        "folder",
        "folder/child",
      ];
      for (const [i, label] of labels.entries()) {
        const key = keyFor(label);
        const body = Buffer.from(`body ${i} of ${label}`);
        await storage.putObject(key, body, { contentType: "text/plain" });
        expect((await readAll(await storage.getObject(key))).toString()).toBe(body.toString());
        expect((await storage.statObject(key))?.size).toBe(body.length);
        const res = await fetch(await storage.presignGet(key, { expiresSec: 60 }));
        expect(res.status, label).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).toString()).toBe(body.toString());
      }
    });

    it("rejects unsafe keys before touching storage", async () => {
      const bad = [
        "",
        "/abs",
        "../escape",
        "a/../b",
        "a/./b",
        "a//b",
        "trailing/",
        "nul\u0000byte",
        "back\\slash",
        "x".repeat(1025),
      ];
      for (const key of bad) {
        await expect(
          storage.putObject(key, Buffer.from("x"), { contentType: "text/plain" }),
          key,
        ).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(storage.presignGet(key, { expiresSec: 60 }), key).rejects.toBeInstanceOf(
          InvalidKeyError,
        );
      }
    });

    it("uploads through a presigned PUT and downloads through a presigned GET byte-identically", async () => {
      const key = keyFor("presigned/photo 1.png");
      const body = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), bytes(20_000, "png")]);
      const put = await storage.presignPut(key, {
        expiresSec: 60,
        contentType: "image/png",
        size: body.length,
      });
      expect(put.method).toBe("PUT");
      const up = await fetch(put.url, { method: "PUT", headers: put.headers, body });
      expect(up.status, await up.clone().text()).toBe(200);
      expect(await storage.statObject(key)).toMatchObject({ size: body.length, contentType: "image/png" });

      const res = await fetch(await storage.presignGet(key, { expiresSec: 60 }));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/png");
      expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), body)).toBe(0);

      const named = await fetch(
        await storage.presignGet(key, {
          expiresSec: 60,
          fileName: "Résumé 2026.png",
          contentType: "application/octet-stream",
        }),
      );
      expect(named.status).toBe(200);
      expect(named.headers.get("content-type")).toBe("application/octet-stream");
      expect(named.headers.get("content-disposition")).toContain("attachment;");
      expect(named.headers.get("content-disposition")).toContain("R%C3%A9sum%C3%A9%202026.png");
      await named.arrayBuffer();
    });

    it("serves a Range request on a presigned GET (audio seeking)", async () => {
      const key = keyFor("voice.ogg");
      const body = bytes(10_000, "voice");
      await storage.putObject(key, body, { contentType: "audio/ogg" });
      const res = await fetch(await storage.presignGet(key, { expiresSec: 60 }), {
        headers: { Range: "bytes=1000-1999" },
      });
      expect(res.status).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes 1000-1999/${body.length}`);
      expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), body.subarray(1000, 2000))).toBe(0);
    });

    it("refuses a presigned PUT whose content type or size differs from the signed one, storing nothing", async () => {
      const key = keyFor("pinned.png");
      const put = await storage.presignPut(key, { expiresSec: 60, contentType: "image/png", size: 10 });
      const wrongType = await fetch(put.url, {
        method: "PUT",
        headers: { "Content-Type": "text/html" },
        body: bytes(10),
      });
      expect(wrongType.status).toBe(403);
      await wrongType.arrayBuffer();
      const wrongSize = await fetch(put.url, { method: "PUT", headers: put.headers, body: bytes(11) });
      expect(wrongSize.status).toBe(403);
      await wrongSize.arrayBuffer();
      expect(await storage.statObject(key)).toBeNull();
    });

    it("answers 403 to a tampered signature and to a URL reused for another key", async () => {
      const key = keyFor("tamper.txt");
      await storage.putObject(key, Buffer.from("secret"), { contentType: "text/plain" });
      const get = await storage.presignGet(key, { expiresSec: 60 });
      const tampered = await fetch(tamper(get));
      expect(tampered.status).toBe(403);
      await tampered.arrayBuffer();

      const other = keyFor("tamper-other.txt");
      await storage.putObject(other, Buffer.from("other secret"), { contentType: "text/plain" });
      const swapped = await fetch(get.replace("tamper.txt", "tamper-other.txt"));
      expect(swapped.status).toBe(403);
      await swapped.arrayBuffer();

      const put = await storage.presignPut(keyFor("tamper-put.txt"), {
        expiresSec: 60,
        contentType: "text/plain",
      });
      const tamperedPut = await fetch(tamper(put.url), { method: "PUT", headers: put.headers, body: "x" });
      expect(tamperedPut.status).toBe(403);
      await tamperedPut.arrayBuffer();
      expect(await storage.statObject(`${prefix}/tamper-put.txt`)).toBeNull();
    });

    it("answers 403 once a presigned URL has expired", async () => {
      const key = keyFor("expiring.txt");
      await storage.putObject(key, Buffer.from("soon gone"), { contentType: "text/plain" });
      // S3 signs with a whole-second X-Amz-Date, so a URL of E seconds may live only E - 1 s:
      // 1 s left a fresh GET on a loaded box no time at all (403 where 200 was due).
      const signedAt = Date.now();
      const get = await storage.presignGet(key, { expiresSec: 4 });
      const put = await storage.presignPut(keyFor("expiring-put.txt"), {
        expiresSec: 4,
        contentType: "text/plain",
      });
      const fresh = await fetch(get);
      expect(fresh.status).toBe(200);
      await fresh.arrayBuffer();
      await sleep(Math.max(0, signedAt + 5_200 - Date.now()));
      const expired = await fetch(get);
      expect(expired.status).toBe(403);
      await expired.arrayBuffer();
      const expiredPut = await fetch(put.url, { method: "PUT", headers: put.headers, body: "late" });
      expect(expiredPut.status).toBe(403);
      await expiredPut.arrayBuffer();
    });

    it("makes a deleted object unreachable: presigned GET answers 404", async () => {
      const key = keyFor("deleted.txt");
      await storage.putObject(key, Buffer.from("delete me"), { contentType: "text/plain" });
      const get = await storage.presignGet(key, { expiresSec: 60 });
      const before = await fetch(get);
      expect(before.status).toBe(200);
      await before.arrayBuffer();
      await storage.deleteObject(key);
      const after = await fetch(get);
      expect(after.status).toBe(404);
      await after.arrayBuffer();
    });

    it("streams a 70 MB upload and download byte-identically [slow]", { timeout: 60_000 }, async () => {
      const key = keyFor("big/70mb.bin");
      const seed = `big-${prefix}`;
      const expected = await digestOf(deterministicStream(seed, BIG));
      const started = performance.now();
      const put = await storage.putObject(key, deterministicStream(seed, BIG), {
        size: BIG,
        contentType: "application/octet-stream",
      });
      const uploaded = performance.now();
      expect(put.size).toBe(BIG);
      expect((await storage.statObject(key))?.size).toBe(BIG);
      const got = await digestOf(await storage.getObject(key));
      const downloaded = performance.now();
      expect(got).toEqual(expected);
      console.log(
        `[storage ${name}] 70 MB: upload ${((uploaded - started) / 1000).toFixed(1)} s, download ${((downloaded - uploaded) / 1000).toFixed(1)} s`,
      );
      await storage.deleteObject(key);
      expect(await storage.statObject(key)).toBeNull();
    });
  });
}
