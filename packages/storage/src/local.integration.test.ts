import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runStorageContract } from "./contract.ts";
import { createLocalStorage, verifyLocalSignature } from "./local.ts";
import { toNodeListener } from "./node-http.ts";

const SECRET = "local-storage-test-secret-0123456789abcdef";

runStorageContract("local", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "parley-storage-"));
  let handle: (request: Request) => Promise<Response> = async () => new Response(null, { status: 503 });
  const server = createServer(toNodeListener((request) => handle(request)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const storage = createLocalStorage({ dir, publicBaseUrl: `http://127.0.0.1:${port}`, secret: SECRET });
  handle = (request) => storage.handle(request);
  return {
    storage,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe("local storage signatures", () => {
  const storage = createLocalStorage({ dir: "/nonexistent", publicBaseUrl: "http://x", secret: SECRET });

  it("verifies only what was signed, with the right secret, before expiry", async () => {
    const url = new URL(await storage.presignGet("a/b.txt", { expiresSec: 60, fileName: "b.txt" }));
    const exp = Number(url.searchParams.get("exp"));
    const sig = url.searchParams.get("sig") ?? "";
    const fields = { method: "GET" as const, key: "a/b.txt", exp, fileName: "b.txt" };
    expect(verifyLocalSignature(fields, sig, SECRET)).toEqual({ ok: true });
    expect(verifyLocalSignature({ ...fields, fileName: "c.html" }, sig, SECRET).ok).toBe(false);
    expect(verifyLocalSignature({ ...fields, method: "PUT" }, sig, SECRET).ok).toBe(false);
    expect(verifyLocalSignature(fields, sig, `${SECRET}x`).ok).toBe(false);
    expect(verifyLocalSignature(fields, sig, SECRET, new Date((exp + 1) * 1000))).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("refuses a short secret", () => {
    expect(() => createLocalStorage({ dir: "/x", publicBaseUrl: "http://x", secret: "short" })).toThrow(/32/);
  });
});
