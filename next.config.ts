import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite loads its wasm and data files from its own package folder; bundling it breaks that.
  // The rest are loaded once from node_modules instead of bundled into every route: each route
  // is its own server bundle, and a dozen copies of them took ~60 MB of every instance's heap.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "pglite-prisma-adapter",
    "ioredis",
    "better-auth",
    "inngest",
    "ai",
    "@ai-sdk/anthropic",
    "@ai-sdk/gateway",
    "@ai-sdk/openai",
    "@ai-sdk/openai-compatible",
    "@upstash/redis",
    "@upstash/ratelimit",
    "zod",
    "pg",
    "@prisma/adapter-pg",
  ],
  poweredByHeader: false,
  // forbidden() and unauthorized(): the admin pages answer 403 and 401 with a page, not a redirect.
  experimental: {
    authInterrupts: true,
    // Next copies the body of each request proxy.ts sees (only paths with a `%`), unread, up to
    // this size: no more than the largest body the app's own routes take (POST /api/chat).
    proxyClientMaxBodySize: 256 * 1024,
  },
};

export default nextConfig;
