/**
 * Full Stampede service sets for integration tests, on either driver set: "embedded" (PGlite,
 * in-process hot store and runner, demo model) or "services" (real PostgreSQL and Redis, and the
 * OpenAI-compatible provider double, so the real client code runs).
 */
import type { UIMessageChunk } from "ai";
import { submitChatRequest } from "@/lib/chat/send-message";
import { parseConfig } from "@/lib/config";
import { replyStreamResponse } from "@/lib/replies/reply-stream";
import { buildServices, closeServices, type Services } from "@/lib/services";
import { startProviderDouble, type ProviderDouble, type ProviderDoubleOptions } from "@/lib/testing/provider-double";
import { createScratchDir, createScratchPostgres, createScratchRedisPrefix, uniqueSuffix } from "./scratch";

export type DriverSet = "embedded" | "services";

export interface TestApp {
  services: Services;
  provider?: ProviderDouble;
  /** Creates a user row directly, as sign-up would. */
  createUser(tier?: "guest" | "free" | "pro"): Promise<string>;
  dispose(): Promise<void>;
}

export async function startTestApp(
  drivers: DriverSet,
  { env = {}, provider: providerOptions }: { env?: Record<string, string>; provider?: ProviderDoubleOptions } = {},
): Promise<TestApp> {
  const scratchDir = await createScratchDir();
  const cleanups: (() => Promise<void>)[] = [scratchDir.remove];
  const baseEnv: Record<string, string> = {
    NODE_ENV: "test",
    DATA_DIR: scratchDir.dir,
    LOG_LEVEL: "silent",
    DEMO_MODEL_DELAY_MS: "1",
    BETTER_AUTH_SECRET: "test-secret-test-secret-test-secret-0123",
    FLUSH_INTERVAL: "3600",
    // Whether the model writes titles: the test run's choice (scripts/test/run.ts), unless `env` says.
    ...(process.env.CHAT_TITLES && { CHAT_TITLES: process.env.CHAT_TITLES }),
  };
  let provider: ProviderDouble | undefined;
  if (drivers === "services") {
    const database = await createScratchPostgres();
    const redis = createScratchRedisPrefix();
    provider = await startProviderDouble(providerOptions);
    cleanups.unshift(database.drop, redis.clear, () => provider!.close());
    Object.assign(baseEnv, {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redis.prefix,
      OPENAI_BASE_URL: provider.url,
      CHAT_MODELS: "double-small,double-large",
    });
  }
  const config = parseConfig({ ...baseEnv, ...env });
  const services = await buildServices(config);
  if (config.database.driver === "postgres") await services.db.migrate();

  return {
    services,
    provider,
    async createUser(tier = "free") {
      const id = `user_${uniqueSuffix()}`;
      await services.db.prisma.user.create({
        data: { id, name: id, email: `${id}@example.test`, emailVerified: false, tier, isAnonymous: tier === "guest" },
      });
      return id;
    },
    async dispose() {
      await closeServices(services);
      for (const cleanup of cleanups) await cleanup();
    },
  };
}

/** Reads an AI SDK UI message stream response to its end. */
export async function readUIMessageStream(response: Response): Promise<UIMessageChunk[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .map((event) => event.trim())
    .filter((event) => event.startsWith("data: ") && event !== "data: [DONE]")
    .map((event) => JSON.parse(event.slice("data: ".length)) as UIMessageChunk);
}

export function textOf(chunks: UIMessageChunk[]): string {
  return chunks.map((chunk) => (chunk.type === "text-delta" ? chunk.delta : "")).join("");
}

/**
 * `users` new users (free plan) each send one message at the same moment (`sendAt`, given the time
 * the users are ready: by default at once, after `beforeSend` has run); resolves with each reply's
 * chunks, and when its message was sent.
 */
export async function sendBurst(
  target: TestApp,
  users: number,
  { sendAt, beforeSend }: { sendAt?: (now: number) => number; beforeSend?: () => Promise<unknown> } = {},
) {
  const senders = await Promise.all(Array.from({ length: users }, () => target.createUser()));
  await beforeSend?.();
  if (sendAt) {
    const now = Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, sendAt(now) - now)));
  }
  const sent = await Promise.all(
    senders.map(async (userId, index) => {
      const text = `question ${index} ${uniqueSuffix()}`;
      const request = { kind: "send" as const, chatId: `c_${uniqueSuffix()}`, messageId: `m_${uniqueSuffix()}`, text };
      const sentAt = Date.now();
      const { replyId } = await submitChatRequest(target.services, { userId, tier: "free" }, request);
      return { userId, chatId: request.chatId, replyId, text, sentAt };
    }),
  );
  return Promise.all(
    sent.map(async (reply) => {
      const response = await replyStreamResponse(target.services.hot, { replyId: reply.replyId, userId: reply.userId, config: target.services.config });
      return { ...reply, chunks: await readUIMessageStream(response) };
    }),
  );
}
