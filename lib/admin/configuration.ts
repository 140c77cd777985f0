/**
 * The configuration page: what this deployment runs on and the policies it enforces, read-only.
 * Only names and numbers: no URL, key, token or secret ever leaves the config object here.
 */
import type { AppConfig } from "@/lib/config";
import { configuredModels, describeDrivers } from "@/lib/config";
import { attachmentKindsFor } from "@/lib/ai/models";
import { TIERS } from "@/lib/domain";
import { providerCapacity } from "@/lib/jobs/provider-capacity";
import { startsPerMinute } from "@/lib/jobs/provider-pace";
import { ATTACHMENT_POLICIES, AUTH_ATTEMPT_POLICY, GUEST_IP_POLICY, TIER_POLICIES } from "@/lib/limits/policies";

export function describeConfiguration(config: AppConfig) {
  return {
    drivers: {
      summary: describeDrivers(config),
      database: config.database.driver,
      hotStore: config.hot.driver,
      jobs: config.jobs.driver,
      model: config.model.driver,
      storage: config.storage.driver,
    },
    tiers: TIER_POLICIES,
    /** What each plan may attach, and which models read what besides text. */
    attachments: {
      plans: ATTACHMENT_POLICIES,
      modelsReading: Object.fromEntries(configuredModels(config.model).map((id) => [id, attachmentKindsFor(config.model, id)])),
    },
    guestIp: GUEST_IP_POLICY,
    authAttempts: AUTH_ATTEMPT_POLICY,
    provider: {
      models: config.model.models,
      fallbackModel: config.model.fallbackModel ?? null,
      /** Each plan's models after the one asked for. */
      modelChains: config.model.modelChains,
      /** Keys in the provider's pool, counted only. */
      apiKeys: Math.max(1, config.model.apiKeys.length),
      maxConcurrency: config.llm.maxConcurrency,
      rpm: config.llm.rpm,
      tpm: config.llm.tpm ?? null,
      tpmByModel: config.llm.tpmByModel,
      tokensPerReply: config.llm.tokensPerReply,
      maxRetries: config.llm.maxRetries,
      fallbackAfter: config.llm.fallbackAfter,
      retryBaseMs: config.llm.retryBaseMs,
      startsPerMinute: startsPerMinute(config.llm),
      /** What each provider bucket allows until the provider's headers or 429s correct it. */
      startsPerWindow: providerCapacity(config).limit,
    },
    flush: {
      intervalSeconds: config.chat.flushIntervalSeconds,
      backlogThreshold: config.chat.flushBacklogThreshold,
      hotHistoryTtlSeconds: config.chat.hotHistoryTtlSeconds,
    },
    chat: {
      maxMessageLength: config.chat.maxMessageLength,
      replyCacheTtlSeconds: config.replyCache.ttlSeconds,
    },
    limits: {
      failMode: config.limits.failMode,
      timeoutMs: config.limits.timeoutMs,
      clientIp:
        config.limits.clientIp.from === "x-forwarded-for"
          ? `X-Forwarded-For, ${config.limits.clientIp.trustedHops} trusted hop(s)`
          : config.limits.clientIp.from === "x-real-ip"
            ? "X-Real-IP (Vercel)"
            : "the connection's own address (no proxy trusted)",
    },
    costs: {
      /** Every model a reply may be answered by, with its price (micro-dollars per million tokens), or null for none. */
      prices: configuredModels(config.model).map((model) => ({ model, price: config.costs.prices[model] ?? null })),
      /** Each plan's budgets in micro-dollars; an absent period has no limit. */
      budgets: TIERS.map((plan) => ({ plan, budget: config.costs.budgets[plan] ?? {} })),
    },
    metricsEndpoint: config.metrics.token ? "on (bearer token)" : "off",
    adminEmailConfigured: Boolean(config.auth.adminEmail),
  };
}

export type ConfigurationView = ReturnType<typeof describeConfiguration>;
