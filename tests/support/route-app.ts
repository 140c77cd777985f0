/**
 * The app's real route handlers in this test process, configured against scratch PostgreSQL and
 * Redis (or, with `drivers: "embedded"`, PGlite in a scratch folder and the in-process hot store
 * and limiter) and the provider double. One per test file: the app reads its configuration once.
 */
import { startProviderDouble, type ProviderDouble, type ProviderDoubleOptions } from "@/lib/testing/provider-double";
import type { DriverSet } from "./app-services";
import { createScratchDir, createScratchPostgres, createScratchRedisPrefix } from "./scratch";

export async function startRouteApp({
  drivers = "services",
  env = {},
  provider: providerOptions,
}: { drivers?: DriverSet; env?: Record<string, string>; provider?: ProviderDoubleOptions } = {}) {
  const database = drivers === "services" ? await createScratchPostgres() : undefined;
  const redis = drivers === "services" ? createScratchRedisPrefix() : undefined;
  const dataDir = await createScratchDir();
  const provider: ProviderDouble = await startProviderDouble(providerOptions);
  // The app reads its configuration on first use, so the environment is set before the routes load.
  for (const name of ["DATABASE_URL", "REDIS_URL", "REDIS_PREFIX", "UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"]) {
    delete process.env[name];
  }
  Object.assign(process.env, {
    ...(database && { DATABASE_URL: database.url }),
    ...(redis && { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix }),
    OPENAI_BASE_URL: provider.url,
    CHAT_MODELS: "double-small,double-large",
    DATA_DIR: dataDir.dir,
    BETTER_AUTH_SECRET: "route-test-secret-route-test-secret-0123456",
    BETTER_AUTH_URL: "http://localhost:3000",
    TRUSTED_PROXY_HOPS: "1",
    LOG_LEVEL: "silent",
    ...env,
  });
  const { getServices, closeServices } = await import("@/lib/services");
  const services = await getServices();
  await services.db.migrate();
  const routes = {
    auth: await import("@/app/api/auth/[...all]/route"),
    chat: await import("@/app/api/chat/route"),
    resume: await import("@/app/api/chat/[id]/stream/route"),
    stop: await import("@/app/api/chat/[id]/stop/route"),
    chats: await import("@/app/api/chats/route"),
    chatById: await import("@/app/api/chats/[id]/route"),
    chatVersions: await import("@/app/api/chats/[id]/versions/route"),
    chatInstructions: await import("@/app/api/chats/[id]/instructions/route"),
    chatFeedback: await import("@/app/api/chats/[id]/feedback/route"),
    replyFeedback: await import("@/app/api/chats/[id]/messages/[messageId]/feedback/route"),
    instructions: await import("@/app/api/instructions/route"),
    attachments: await import("@/app/api/attachments/route"),
    attachmentById: await import("@/app/api/attachments/[id]/route"),
    instructionsById: await import("@/app/api/instructions/[id]/route"),
    health: await import("@/app/api/health/route"),
    adminOverview: await import("@/app/api/admin/overview/route"),
    adminUsers: await import("@/app/api/admin/users/route"),
    adminUser: await import("@/app/api/admin/users/[id]/route"),
    adminBan: await import("@/app/api/admin/users/[id]/ban/route"),
    adminChats: await import("@/app/api/admin/chats/route"),
    adminAudit: await import("@/app/api/admin/audit/route"),
    adminConfig: await import("@/app/api/admin/config/route"),
    adminFeedback: await import("@/app/api/admin/feedback/route"),
    adminSpend: await import("@/app/api/admin/spend/route"),
    metrics: await import("@/app/api/metrics/route"),
    account: await import("@/app/api/account/route"),
    accountExport: await import("@/app/api/account/export/route"),
    accountUsage: await import("@/app/api/account/usage/route"),
  };
  return {
    services,
    provider,
    routes,
    async dispose() {
      await closeServices(services);
      await provider.close();
      await redis?.clear();
      await database?.drop();
      await dataDir.remove();
    },
  };
}

export type RouteApp = Awaited<ReturnType<typeof startRouteApp>>;
