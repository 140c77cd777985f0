import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER } from "next/constants";

/**
 * The Content-Security-Policy of every response. What it holds: images only from this app and
 * over https (as the chat's Markdown renders them, components/chat/markdown.tsx), requests only to
 * this app, no plugins, no framing by other sites, forms and <base> only to this app.
 *
 * Scripts keep 'unsafe-inline': Next.js writes its bootstrap and the page's server-component
 * payload as inline scripts, and the nonce that would name them (through proxy.ts) makes every
 * page render on each request and every request pass through the proxy, which copies its body.
 * Replies cannot inject a script anyway: their Markdown is rendered without raw HTML. The dev
 * server also needs 'unsafe-eval' (React's debugging) and WebSockets (hot reload).
 */
function contentSecurityPolicy(dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' https: blob:",
    "font-src 'self'",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

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
    // Its encodings are megabytes of source each, loaded only by a reply that needs one.
    "gpt-tokenizer",
  ],
  poweredByHeader: false,
  // The stale-while-revalidate that pages kept by incremental regeneration are answered with, as
  // s-maxage plus it: the shared chat page (revalidate 30 s, lib/shares/shared-page-cache.ts) may
  // be served stale for 30 s more while a shared cache fetches it again, not for Next's default year.
  expireTime: 60,
  // forbidden() and unauthorized(): the admin pages answer 403 and 401 with a page, not a redirect.
  experimental: {
    authInterrupts: true,
    // Next copies the body of each request proxy.ts sees (only paths with a `%`), unread, up to
    // this size: no more than the largest JSON body the app's own routes take (POST /api/chat).
    // Uploads (POST /api/attachments) never pass through it: their path has no `%`.
    proxyClientMaxBodySize: 256 * 1024,
  },
};

export default function config(phase: string): NextConfig {
  const policy = contentSecurityPolicy(phase === PHASE_DEVELOPMENT_SERVER);
  return {
    ...nextConfig,
    headers: async () => [
      { source: "/:path*", headers: [{ key: "Content-Security-Policy", value: policy }] },
      // The service worker is checked for updates on each visit; a cached copy would pin the old one.
      { source: "/sw.js", headers: [{ key: "Cache-Control", value: "no-cache, no-store, must-revalidate" }] },
    ],
  };
}
