import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ZEnv } from "./index.ts";

// There is no Docker engine on CI machines, so docker/compose.yaml is checked statically: the
// settings it hands Parley must be settings Parley reads, every ${VAR} a self-hoster may set must
// be documented in docker/.env.example, and the services must start in a working order.
const dockerDir = path.resolve(import.meta.dirname, "../../../docker");
const composeText = readFileSync(path.join(dockerDir, "compose.yaml"), "utf8");
const compose = parse(composeText, { merge: true }) as {
  "x-parley-env": Record<string, string>;
  services: Record<
    string,
    {
      environment?: Record<string, string>;
      depends_on?: Record<string, { condition: string }>;
      healthcheck?: unknown;
    }
  >;
};
const envExample = readFileSync(path.join(dockerDir, ".env.example"), "utf8");

describe("docker/compose.yaml", () => {
  it("passes Parley only settings its config knows (a typo would be silently ignored)", () => {
    const known = new Set(Object.keys(ZEnv.shape));
    // NEXTAUTH_URL is read by next-auth itself; NODE_ENV by Node and Next.
    const external = new Set(["NEXTAUTH_URL", "NODE_ENV"]);
    const unknown = Object.keys(compose["x-parley-env"]).filter((k) => !known.has(k) && !external.has(k));
    expect(unknown).toEqual([]);
  });

  it("documents every variable a self-hoster can set in docker/.env.example", () => {
    const vars = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1] as string));
    const undocumented = [...vars].filter((v) => !new RegExp(`^#?\\s*${v}=`, "m").test(envExample));
    expect(undocumented).toEqual([]);
  });

  it("starts web after migrations ran and its stores are healthy; those stores have health checks", () => {
    const web = compose.services.web;
    expect(web?.depends_on?.migrate?.condition).toBe("service_completed_successfully");
    for (const store of ["postgres", "redis"]) {
      expect(compose.services[store]?.healthcheck, store).toBeDefined();
    }
    const conditions = Object.entries(web?.depends_on ?? {});
    expect(conditions.length).toBeGreaterThan(1);
  });

  it("reports web and the separate gateways healthy only when ready (/readyz on their own ports)", () => {
    for (const [service, port] of [
      ["web", 3000],
      ["realtime", 3001],
    ] as const) {
      const test = JSON.stringify(compose.services[service]?.healthcheck);
      expect(test, service).toContain(`http://127.0.0.1:${port}/readyz`);
    }
  });

  it("lets browsers reach MinIO: a public S3 URL for presigned URLs, and CORS for Parley's origin", () => {
    expect(compose["x-parley-env"].S3_PUBLIC_URL).toMatch(/^\$\{S3_PUBLIC_URL:-https?:\/\//);
    expect(compose.services.minio?.environment?.MINIO_API_CORS_ALLOW_ORIGIN).toBe(
      compose["x-parley-env"].PUBLIC_URL,
    );
  });
});
