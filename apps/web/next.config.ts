import { randomBytes } from "node:crypto";
import type { NextConfig } from "next";
import createNextIntlPlugin from "next-intl/plugin";

/**
 * One id per build: Next's build id and, inlined into the client as PARLEY_BUILD_ID, the service
 * worker's version (lib/service-worker.ts): a new deploy registers a new worker, which drops the
 * old build's caches.
 */
const BUILD_ID = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;

/**
 * Workspace packages ship TypeScript source, so Next compiles them. Prisma (wasm query compiler +
 * driver adapter), pg, the argon2 native binding and prom-client (one metrics registry per process,
 * core metrics.ts) stay plain Node requires on the server.
 */
/**
 * Headers on every response, static files included (see SECURITY.md). The Content-Security-Policy
 * (a fresh nonce each time) and HSTS (it depends on PUBLIC_URL, read at run time, not at build)
 * are set per request by src/proxy.ts.
 */
export const SECURITY_HEADERS = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "Permissions-Policy", value: "camera=(), geolocation=(), microphone=(self), payment=()" },
];

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  generateBuildId: async () => BUILD_ID,
  env: { PARLEY_BUILD_ID: BUILD_ID },
  transpilePackages: [
    "@parley/api",
    "@parley/client",
    "@parley/config",
    "@parley/core",
    "@parley/db",
    "@parley/protocol",
  ],
  serverExternalPackages: ["@prisma/client", "@prisma/adapter-pg", "pg", "@node-rs/argon2", "prom-client"],
  // Every response: no framing by other sites (clickjacking), no MIME sniffing of downloads, no
  // full URLs (which carry conversation ids) leaking to other origins, and only the powerful
  // features the app uses (the microphone for voice messages, on its own origin).
  headers: async () => [{ source: "/:path*", headers: SECURITY_HEADERS }],
  // Types are checked by `npm run typecheck` (apps/web's `tsc --noEmit`, in `npm test` and CI);
  // the build checking them again cost 36 s of a 2-core CI run.
  typescript: { ignoreBuildErrors: true },
  // A clean build (CI, a fresh `npm start`) never reads Turbopack's build cache back; writing it
  // cost 16 s.
  experimental: { turbopackFileSystemCacheForBuild: false },
};

// next-intl without i18n routing: the locale comes from the user's setting or Accept-Language.
export default createNextIntlPlugin("./src/i18n/request.ts")(config);
