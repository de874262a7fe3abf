import { defineConfig } from "prisma/config";

// The URL lives here in Prisma 7. Commands that need no database (generate) get a placeholder
// so a fresh clone can generate the client before any database exists.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations", seed: "tsx prisma/seed.ts" },
  datasource: {
    url: process.env.DATABASE_URL ?? "postgresql://parley@127.0.0.1:5432/parley",
  },
});
