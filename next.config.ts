import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite loads its wasm and data files from its own package folder; bundling it breaks that.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "ioredis"],
  poweredByHeader: false,
  // forbidden() and unauthorized(): the admin pages answer 403 and 401 with a page, not a redirect.
  experimental: { authInterrupts: true },
};

export default nextConfig;
