import type { NextConfig } from "next";

/**
 * Workspace packages ship TypeScript source, so Next compiles them. Prisma (wasm query compiler +
 * driver adapter), pg and the argon2 native binding stay plain Node requires on the server.
 */
const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  transpilePackages: [
    "@parley/api",
    "@parley/client",
    "@parley/config",
    "@parley/core",
    "@parley/db",
    "@parley/protocol",
  ],
  serverExternalPackages: ["@prisma/client", "@prisma/adapter-pg", "pg", "@node-rs/argon2"],
};

export default config;
