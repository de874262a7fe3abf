import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnv, ZEnv } from "./index.ts";
import { settingDocs } from "./settings-doc.ts";

const example = readFileSync(path.resolve(import.meta.dirname, "../../../.env.example"), "utf8");

describe(".env.example", () => {
  it("documents every setting Parley reads", () => {
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const missing = Object.keys(ZEnv.shape).filter((key) => !documented.has(key));
    expect(missing).toEqual([]);
  });

  it("names no setting that does not exist", () => {
    // Read by scripts/start.mjs, not by the apps, so not part of ZEnv.
    const scriptOnly = new Set(["EMBEDDED_POSTGRES_PORT", "PARLEY_DATA_DIR"]);
    const documented = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    const unknown = documented.filter((key) => !(key in ZEnv.shape) && !scriptOnly.has(key));
    expect(unknown).toEqual([]);
  });

  it("shows the schema's default for every setting that has one", () => {
    // Its default is two dozen MIME types; the example shows the format.
    const exampleOnly = new Set(["UPLOAD_BLOCKED_TYPES"]);
    const shown = new Map([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    const wrong = settingDocs()
      .filter((s) => typeof s.default === "string" && !exampleOnly.has(s.name))
      .filter((s) => shown.get(s.name) !== s.default)
      .map((s) => `${s.name}=${shown.get(s.name)} (default ${s.default})`);
    expect(wrong).toEqual([]);
  });
});

describe("parseEnv", () => {
  const base = { DATABASE_URL: "postgresql://p@127.0.0.1/p", AUTH_SECRET: "x".repeat(32) };

  it("fills defaults and derives the WebSocket URL from PUBLIC_URL", () => {
    const env = parseEnv({ ...base, PUBLIC_URL: "https://chat.example.com" });
    expect(env.PORT).toBe(3000);
    expect(env.REALTIME_PUBLIC_URL).toBe("wss://chat.example.com/ws");
  });

  it("names each wrong setting in one clear error", () => {
    expect(() => parseEnv({ ...base, AUTH_SECRET: "short", PORT: "http" })).toThrow(
      /AUTH_SECRET: must be at least 32 characters[\s\S]*PORT:/,
    );
    expect(() => parseEnv({ AUTH_SECRET: "x".repeat(32) })).toThrow(/DATABASE_URL/);
    expect(() => parseEnv({ ...base, S3_ENDPOINT: "minio" })).toThrow(/S3_ACCESS_KEY/);
  });

  it("keeps metrics off by default, on loopback when on, and refuses another interface without a token", () => {
    expect(parseEnv(base)).toMatchObject({ METRICS_HOST: "127.0.0.1" });
    expect(parseEnv(base).METRICS_PORT).toBeUndefined();
    expect(parseEnv({ ...base, METRICS_PORT: "9464" }).METRICS_PORT).toBe(9464);
    expect(() => parseEnv({ ...base, METRICS_PORT: "9464", METRICS_HOST: "0.0.0.0" })).toThrow(
      /METRICS_TOKEN: required/,
    );
    expect(parseEnv({ ...base, METRICS_PORT: "9464", METRICS_HOST: "::1" }).METRICS_HOST).toBe("::1");
    const token = "a-long-enough-metrics-token";
    expect(
      parseEnv({ ...base, METRICS_PORT: "9464", METRICS_HOST: "0.0.0.0", METRICS_TOKEN: token })
        .METRICS_TOKEN,
    ).toBe(token);
    expect(() => parseEnv({ ...base, METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN: must be at least 16/);
    expect(() => parseEnv({ ...base, METRICS_PORT: "70000" })).toThrow(/METRICS_PORT/);
  });
});
