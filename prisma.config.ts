import { defineConfig } from "prisma/config";

// Read by the Prisma CLI only; the app passes its connection to the driver adapter itself.
// DATABASE_URL may be unset: `prisma generate` needs no database.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL },
});
