/**
 * The only reader of the environment. Parsed once, validated with zod, and the source of every
 * driver choice: which database, hot store, job runner and model provider this process uses.
 */
import path from "node:path";
import { z } from "zod";
import { ATTACHMENT_KINDS, TIERS, type AttachmentKind, type Tier } from "@/lib/domain";

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const optionalUrl = (protocols: string[], example: string) =>
  optionalString.refine(
    (value) => {
      if (value === undefined) return true;
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL like ${example}` },
  );

const positiveInt = (fallback: number) =>
  optionalString
    .refine((value) => value === undefined || /^\d+$/.test(value), { message: "expected a whole number" })
    .transform((value) => (value === undefined ? fallback : Number(value)))
    .refine((value) => value > 0, { message: "expected a number above 0" });

const optionalPositiveInt = optionalString
  .refine((value) => value === undefined || /^\d+$/.test(value), { message: "expected a whole number" })
  .transform((value) => (value === undefined ? undefined : Number(value)))
  .refine((value) => value === undefined || value > 0, { message: "expected a number above 0" });

const wholeNumber = (fallback: number) =>
  optionalString
    .refine((value) => value === undefined || /^\d+$/.test(value), { message: "expected a whole number (0 or more)" })
    .transform((value) => (value === undefined ? fallback : Number(value)));

const flagWithDefault = (fallback: boolean) =>
  optionalString
    .refine((value) => value === undefined || ["0", "1", "true", "false"].includes(value), {
      message: "expected 1, 0, true or false",
    })
    .transform((value) => (value === undefined ? fallback : value === "1" || value === "true"));
const flag = flagWithDefault(false);

/** `chat@example.com` or `Name <chat@example.com>`, as a From header takes it. */
function isMailbox(value: string): boolean {
  const address = /^[^<>]*<([^<>]+)>$/.exec(value)?.[1] ?? value;
  return z.email().safeParse(address).success;
}

/** Plain http is for a provider on the same machine (a local test IdP), never across a network. */
function isLoopbackUrl(value: string): boolean {
  return /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/i.test(value);
}

/**
 * A "key=value,key=value" list as a record, each value read by `parseValue` (null: malformed);
 * null when any entry is. The last `=` splits, as model ids may hold one.
 */
function parseKeyedList<T>(value: string | undefined, parseValue: (text: string, key: string) => T | null): Record<string, T> | null {
  const parsed: Record<string, T> = {};
  for (const entry of (value ?? "").split(",").map((item) => item.trim()).filter(Boolean)) {
    const split = entry.lastIndexOf("=");
    if (split <= 0) return null;
    const key = entry.slice(0, split).trim();
    const item = parseValue(entry.slice(split + 1).trim(), key);
    if (item === null) return null;
    parsed[key] = item;
  }
  return parsed;
}

/** "a=1,b=2" as { a: 1, b: 2 } (LLM_TPM_BY_MODEL, LLM_HISTORY_TOKENS_BY_MODEL). */
function parseModelBudgets(value: string | undefined): Record<string, number> | null {
  return parseKeyedList(value, (tokens) => (/^[1-9]\d*$/.test(tokens) ? Number(tokens) : null));
}

/** "a=image+pdf,b=none" as { a: ["image", "pdf"], b: [] } (LLM_ATTACHMENTS_BY_MODEL). */
function parseModelAttachments(value: string | undefined): Record<string, AttachmentKind[]> | null {
  return parseKeyedList(value, (listed) => {
    const named = listed === "none" ? [] : listed.split("+").map((kind) => kind.trim());
    return named.every((kind): kind is AttachmentKind => (ATTACHMENT_KINDS as readonly string[]).includes(kind)) ? [...new Set(named)] : null;
  });
}

/**
 * What a model costs, in micro-dollars (millionths of a US dollar) per million tokens, prompt
 * (`input`) and reply (`output`): whole numbers, so sums of costs never round. The defaults are
 * the providers' list prices for the models Stampede offers out of the box (December 2026) and a
 * nominal price for the demo model, so costs and budgets can be tried with no provider at all.
 */
export interface ModelPrice {
  inputMicrosPerMillion: number;
  outputMicrosPerMillion: number;
}

export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  demo: { inputMicrosPerMillion: 100_000, outputMicrosPerMillion: 400_000 },
  "gpt-4o-mini": { inputMicrosPerMillion: 150_000, outputMicrosPerMillion: 600_000 },
  "gpt-4o": { inputMicrosPerMillion: 2_500_000, outputMicrosPerMillion: 10_000_000 },
  "claude-haiku-4-5": { inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 5_000_000 },
  "claude-sonnet-4-5": { inputMicrosPerMillion: 3_000_000, outputMicrosPerMillion: 15_000_000 },
  "openai/gpt-4o-mini": { inputMicrosPerMillion: 150_000, outputMicrosPerMillion: 600_000 },
  "anthropic/claude-haiku-4-5": { inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 5_000_000 },
};

/** "1.25" (US dollars, at most six decimals) as 1 250 000 micro-dollars; null when malformed. */
export function dollarsToMicros(value: string): number | null {
  const match = /^(\d{1,9})(?:\.(\d{1,6}))?$/.exec(value.trim());
  if (!match) return null;
  return Number(match[1]) * 1_000_000 + Number((match[2] ?? "").padEnd(6, "0"));
}

/**
 * LLM_PRICES, "model=input/output,…" in US dollars per million tokens, e.g.
 * "gpt-4o=2.5/10,my-model=0.2/0.8"; null when malformed.
 */
function parsePrices(value: string | undefined): Record<string, ModelPrice> | null {
  return parseKeyedList(value, (text) => {
    const [input, output, extra] = text.split("/");
    const inputMicros = dollarsToMicros(input ?? "");
    const outputMicros = dollarsToMicros(output ?? "");
    if (extra !== undefined || inputMicros === null || outputMicros === null) return null;
    return { inputMicrosPerMillion: inputMicros, outputMicrosPerMillion: outputMicros };
  });
}

/** A budget in micro-dollars per UTC day and per calendar month (UTC); either may be absent (no limit). */
export interface SpendBudget {
  dailyMicros?: number;
  monthlyMicros?: number;
}

/**
 * BUDGETS_USD, "plan=daily/monthly,…" in US dollars, `-` for no limit, e.g.
 * "guest=0.05/-,free=0.5/5,pro=5/100"; null when malformed or naming no plan.
 */
function parseBudgets(value: string | undefined): Partial<Record<Tier, SpendBudget>> | null {
  return parseKeyedList(value, (amounts, plan) => {
    const [daily, monthly, more] = amounts.split("/");
    if (monthly === undefined || more !== undefined || !(TIERS as readonly string[]).includes(plan)) return null;
    const budget: SpendBudget = {};
    for (const [field, text] of [["dailyMicros", daily], ["monthlyMicros", monthly]] as const) {
      if (text.trim() === "-") continue;
      const micros = dollarsToMicros(text);
      if (micros === null) return null;
      budget[field] = micros;
    }
    return budget;
  });
}

/**
 * The one spelling of an email address that comparisons use: better-auth stores and looks up
 * addresses lowercased, so ADMIN_EMAIL, the operator command and the auth hooks do the same.
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  VERCEL: flag,
  PORT: positiveInt(3000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

  DATABASE_URL: optionalUrl(["postgres:", "postgresql:"], "postgresql://user@host:5432/db"),
  DATABASE_POOL_MAX: positiveInt(10),
  DATA_DIR: optionalString,

  UPSTASH_REDIS_REST_URL: optionalUrl(["https:", "http:"], "https://your-db.upstash.io"),
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  REDIS_URL: optionalUrl(["redis:", "rediss:"], "redis://127.0.0.1:6379"),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/, { message: "expected up to 64 letters, digits, ':', '_' or '-'" })
    .default("stampede:"),

  INNGEST_EVENT_KEY: optionalString,
  INNGEST_SIGNING_KEY: optionalString,
  INNGEST_DEV: flag,
  INNGEST_ALLOW_DEV_IN_PRODUCTION: flag,
  INNGEST_BASE_URL: optionalUrl(["http:", "https:"], "http://127.0.0.1:8288"),
  INNGEST_CHECKPOINTING: flagWithDefault(true),

  OPENAI_BASE_URL: optionalUrl(["http:", "https:"], "http://127.0.0.1:11434/v1"),
  OPENAI_API_KEY: optionalString,
  OPENAI_API_KEYS: optionalString,
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_API_KEYS: optionalString,
  AI_GATEWAY_API_KEY: optionalString,
  AI_GATEWAY_API_KEYS: optionalString,
  CHAT_MODELS: optionalString,
  FALLBACK_MODEL: optionalString,
  LLM_MODEL_CHAIN_GUEST: optionalString,
  LLM_MODEL_CHAIN_FREE: optionalString,
  LLM_MODEL_CHAIN_PRO: optionalString,
  DEMO_MODEL_DELAY_MS: optionalString
    .refine((value) => value === undefined || /^\d+$/.test(value), { message: "expected a whole number" })
    .transform((value) => (value === undefined ? 25 : Number(value))),

  LLM_MAX_CONCURRENCY: positiveInt(16),
  LLM_RPM: positiveInt(600),
  LLM_TPM: optionalPositiveInt,
  LLM_MAX_RETRIES: positiveInt(4),
  LLM_FALLBACK_AFTER: positiveInt(2),
  LLM_RETRY_BASE_MS: positiveInt(500),
  LLM_TOKENS_PER_REPLY: positiveInt(1500),
  LLM_HISTORY_TOKENS: positiveInt(8000),
  LLM_HISTORY_TOKENS_BY_MODEL: optionalString,
  LLM_TPM_BY_MODEL: optionalString,
  LLM_PRICES: optionalString,
  BUDGETS_USD: optionalString,
  LLM_LIMIT_WINDOW_MS: positiveInt(60_000),

  MAX_MESSAGE_LENGTH: positiveInt(8000),
  HOT_HISTORY_TTL_SECONDS: positiveInt(24 * 60 * 60),
  FLUSH_INTERVAL: positiveInt(60),
  FLUSH_BACKLOG_THRESHOLD: positiveInt(200),
  REPLY_CACHE_TTL_SECONDS: positiveInt(60 * 60),
  CHAT_TITLES: z.enum(["model", "first-line"]).default("model"),

  RATE_LIMIT_FAIL_MODE: z.enum(["closed", "open"]).default("closed"),
  RATE_LIMIT_TIMEOUT_MS: positiveInt(1000),
  TRUSTED_PROXY_HOPS: wholeNumber(0),

  BETTER_AUTH_SECRET: optionalString.refine((value) => value === undefined || value.length >= 32, {
    message: "expected at least 32 characters (e.g. `openssl rand -base64 32`)",
  }),
  BETTER_AUTH_URL: optionalUrl(["http:", "https:"], "https://chat.example.com"),
  GUEST_RETENTION_DAYS: positiveInt(30),
  ADMIN_EMAIL: optionalString.refine((value) => value === undefined || z.email().safeParse(value).success, {
    message: "expected an email address",
  }),
  SMTP_URL: optionalUrl(["smtp:", "smtps:"], "smtps://user:password@smtp.example.com:465"),
  MAIL_FROM: optionalString.refine((value) => value === undefined || isMailbox(value), {
    message: 'expected an address, e.g. chat@example.com or "Stampede <chat@example.com>"',
  }),
  MAIL_OUTBOX: flag,
  GITHUB_CLIENT_ID: optionalString,
  GITHUB_CLIENT_SECRET: optionalString,
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  OIDC_ISSUER: optionalUrl(["https:", "http:"], "https://login.example.com/realms/acme")
    .refine((value) => value === undefined || !value.startsWith("http:") || isLoopbackUrl(value), {
      message: "expected https (http only on localhost or 127.0.0.1)",
    }),
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  OIDC_PROVIDER_NAME: optionalString.refine((value) => value === undefined || value.length <= 40, {
    message: "expected at most 40 characters (it is shown on a button)",
  }),
  S3_BUCKET: optionalString,
  S3_REGION: optionalString,
  S3_ENDPOINT: optionalUrl(["https:", "http:"], "https://<account>.r2.cloudflarestorage.com"),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_FORCE_PATH_STYLE: flag,
  S3_PREFIX: optionalString.refine((value) => value === undefined || /^[A-Za-z0-9_\/-]{1,100}$/.test(value), {
    message: "expected up to 100 letters, digits, '/', '_' or '-'",
  }),
  BLOB_READ_WRITE_TOKEN: optionalString,
  LLM_ATTACHMENTS_BY_MODEL: optionalString,

  METRICS_TOKEN: optionalString.refine((value) => value === undefined || value.length >= 16, {
    message: "expected at least 16 characters (e.g. `openssl rand -hex 16`)",
  }),
});

export type DatabaseDriver = "postgres" | "pglite";
export type HotStoreDriver = "redis" | "upstash" | "memory";
export type JobsDriver = "inngest" | "inline";
export type ModelDriver = "openai-compatible" | "openai" | "anthropic" | "gateway" | "demo";
export type StorageDriver = "local" | "s3" | "vercel-blob";


/**
 * Where a request's client IP is read from (lib/limits/client-ip.ts): Vercel's own header, the
 * entry the nearest trusted proxies appended to X-Forwarded-For, or the connection itself (no
 * trusted proxy).
 */
export type ClientIpSource = { from: "x-real-ip" } | { from: "x-forwarded-for"; trustedHops: number } | { from: "socket" };

export interface AppConfig {
  env: "development" | "production" | "test";
  port: number;
  logLevel: string;
  dataDir: string;
  database: { driver: "postgres"; url: string; poolMax: number } | { driver: "pglite"; dataDir: string };
  hot:
    | { driver: "upstash"; url: string; token: string; prefix: string }
    | { driver: "redis"; url: string; prefix: string }
    | { driver: "memory" };
  jobs:
    | { driver: "inngest"; eventKey?: string; signingKey?: string; dev: boolean; baseUrl?: string; checkpointing: boolean }
    | { driver: "inline" };
  model: {
    driver: ModelDriver;
    baseUrl?: string;
    /**
     * The provider's API keys, a pool: the single key variable (OPENAI_API_KEY, …) first, then
     * its comma-separated list (OPENAI_API_KEYS, …), each once. Each key has capacity buckets of
     * its own; empty for the demo model and a keyless OpenAI-compatible server.
     */
    apiKeys: string[];
    /** Model ids offered in the picker; the first is the default. */
    models: string[];
    fallbackModel?: string;
    /**
     * The models a plan's replies fall back to, in order, after the one asked for
     * (LLM_MODEL_CHAIN_GUEST, _FREE, _PRO); a plan without its own chain, and an admin, falls
     * back to FALLBACK_MODEL, if set (lib/jobs/reply-policy.ts says when).
     */
    modelChains: Record<Tier, string[]>;
    demoDelayMs: number;
    /**
     * Estimated tokens of chat history sent with each reply, per model (`byModel`, from
     * LLM_HISTORY_TOKENS_BY_MODEL) or `default` (LLM_HISTORY_TOKENS): older turns beyond it are
     * left out (lib/replies/trim-history.ts), so a long chat costs no more per message than this.
     */
    historyTokens: { default: number; byModel: Record<string, number> };
    /**
     * What each model reads besides text (LLM_ATTACHMENTS_BY_MODEL, else known model families;
     * lib/ai/models.ts): a message with an attachment a model cannot read is refused before it is queued.
     */
    attachmentsByModel: Record<string, AttachmentKind[]>;
  };
  llm: {
    maxConcurrency: number;
    rpm: number;
    tpm?: number;
    /** LLM_TPM per model (LLM_TPM_BY_MODEL), overriding it: a token bucket per model and key. */
    tpmByModel: Record<string, number>;
    maxRetries: number;
    /** Failed attempts on a model after which a reply moves to the next of its plan's chain (`model.modelChains`). */
    fallbackAfter: number;
    /**
     * The in-process runner's first retry delay; it doubles with each retry, and a provider's
     * Retry-After is waited out in full if longer. Inngest applies its own backoff.
     */
    retryBaseMs: number;
    /**
     * Tokens one reply is expected to use, prompt and answer together: what turns LLM_TPM into
     * a pace. The default, 1,500, is a few turns of history plus an answer of a few hundred
     * tokens; set it from the provider's usage figures (the tokens-in/out counters).
     */
    tokensPerReply: number;
    /**
     * The window the provider enforces LLM_RPM over, in ms: 60 000 for a per-minute limit, 10 000
     * for one that allows 600 a minute as 100 per 10 s. The in-process runner starts a window's
     * calls at once when they are waiting (lib/jobs/provider-capacity.ts).
     */
    limitWindowMs: number;
  };
  chat: {
    maxMessageLength: number;
    hotHistoryTtlSeconds: number;
    flushIntervalSeconds: number;
    /** Unflushed chats past which a flush is asked for before the next periodic one. */
    flushBacklogThreshold: number;
    /**
     * `model`: after a chat's first reply, a title job asks the model for a title (lib/titles);
     * `first-line`: the first line of the first message stays the title.
     */
    titles: "model" | "first-line";
  };
  auth: {
    secret?: string;
    baseUrl?: string;
    /** Normalised (normalizeEmail): this account becomes an admin once it verifies the address. */
    adminEmail?: string;
    /** Guests idle this long are deleted with their data (lib/auth/purge-idle-guests.ts). */
    guestRetentionDays: number;
    /** The sign-in buttons, in the order the pages show them. */
    sso: SsoProvider[];
  };
  /**
   * Where mail (verification links) goes: an SMTP server, or the local outbox, one file per
   * message in `dir`. `chosen` is false when the outbox is only the fallback for a missing
   * SMTP_URL, which the startup line points out in production.
   */
  /** Where attachments' bytes live (lib/storage/): files under DATA_DIR, an S3-compatible bucket, or Vercel Blob. */
  storage:
    | { driver: "local"; dir: string }
    | {
        driver: "s3";
        bucket: string;
        region: string;
        endpoint?: string;
        accessKeyId?: string;
        secretAccessKey?: string;
        forcePathStyle: boolean;
        /** Put before every key ("" for none), so one bucket can serve several apps. */
        prefix: string;
      }
    | { driver: "vercel-blob"; token: string };
  mail:
    | { driver: "smtp"; url: string; from: string }
    | { driver: "outbox"; dir: string; from: string; chosen: boolean };
  limits: {
    /** What a chat or auth request gets when the limiter cannot answer: refused (503) or let through. */
    failMode: "closed" | "open";
    /** How long a limiter call may take before it counts as unanswered. */
    timeoutMs: number;
    clientIp: ClientIpSource;
  };
  replyCache: { ttlSeconds: number };
  /**
   * What replies cost and what each plan may spend (lib/costs/): the price per model (the
   * defaults, overridden model by model by LLM_PRICES) and each plan's budgets (BUDGETS_USD).
   * A model with no price has replies of unknown cost, which no budget holds back.
   */
  costs: { prices: Record<string, ModelPrice>; budgets: Partial<Record<Tier, SpendBudget>> };
  /** GET /api/metrics answers only with `Authorization: Bearer <token>`; without a token it is off (404). */
  metrics: { token?: string };
}

/**
 * A way to sign in besides email and password, on when its variables are set: GitHub and Google
 * through better-auth's social providers, any OpenID Connect provider (company SSO) through its
 * generic OAuth plugin, found from the issuer's discovery document.
 */
export type SsoProvider =
  | { id: "github" | "google"; name: string; clientId: string; clientSecret: string }
  | { id: "oidc"; name: string; issuer: string; clientId: string; clientSecret: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const DEFAULT_MODELS: Record<ModelDriver, string[]> = {
  "openai-compatible": ["gpt-4o-mini"],
  openai: ["gpt-4o-mini", "gpt-4o"],
  anthropic: ["claude-haiku-4-5", "claude-sonnet-4-5"],
  gateway: ["openai/gpt-4o-mini", "anthropic/claude-haiku-4-5"],
  demo: ["demo"],
};

/** Pure: turns an environment record into a validated config, or throws ConfigError naming each variable. */
export function parseConfig(environment: Record<string, string | undefined>): AppConfig {
  const parsed = envSchema.safeParse(environment);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`),
    );
  }
  const env = parsed.data;
  const problems: string[] = [];

  if (Boolean(env.UPSTASH_REDIS_REST_URL) !== Boolean(env.UPSTASH_REDIS_REST_TOKEN)) {
    problems.push("UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN: set both or neither");
  }

  // Not a file the server bundle needs: keep the build from tracing the whole project for it.
  const dataDir = path.resolve(/*turbopackIgnore: true*/ env.DATA_DIR ?? ".data");
  const database: AppConfig["database"] = env.DATABASE_URL
    ? { driver: "postgres", url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX }
    : { driver: "pglite", dataDir: path.join(dataDir, "pglite") };

  const hot: AppConfig["hot"] =
    env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN
      ? { driver: "upstash", url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN, prefix: env.REDIS_PREFIX }
      : env.REDIS_URL
        ? { driver: "redis", url: env.REDIS_URL, prefix: env.REDIS_PREFIX }
        : { driver: "memory" };

  const jobs: AppConfig["jobs"] =
    env.INNGEST_EVENT_KEY || env.INNGEST_SIGNING_KEY || env.INNGEST_DEV
      ? { driver: "inngest", eventKey: env.INNGEST_EVENT_KEY, signingKey: env.INNGEST_SIGNING_KEY, dev: env.INNGEST_DEV, baseUrl: env.INNGEST_BASE_URL, checkpointing: env.INNGEST_CHECKPOINTING }
      : { driver: "inline" };
  if (jobs.driver === "inngest" && !jobs.dev && !(jobs.eventKey && jobs.signingKey)) {
    problems.push("INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY: set both for Inngest Cloud, or INNGEST_DEV=1 for a dev server");
  }
  // In dev mode the SDK checks no signature: anyone who reaches /api/inngest can run a job.
  if (jobs.driver === "inngest" && jobs.dev && env.NODE_ENV === "production" && !env.INNGEST_ALLOW_DEV_IN_PRODUCTION) {
    problems.push(
      "INNGEST_DEV: refused with NODE_ENV=production (the SDK then accepts unsigned job requests on /api/inngest); " +
        "set INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY for Inngest Cloud or `inngest start`, " +
        "or INNGEST_ALLOW_DEV_IN_PRODUCTION=1 where /api/inngest is reachable only by the dev server",
    );
  }

  const openaiKeys = keyPool(env.OPENAI_API_KEY, env.OPENAI_API_KEYS);
  const anthropicKeys = keyPool(env.ANTHROPIC_API_KEY, env.ANTHROPIC_API_KEYS);
  const gatewayKeys = keyPool(env.AI_GATEWAY_API_KEY, env.AI_GATEWAY_API_KEYS);
  const modelDriver: ModelDriver = env.OPENAI_BASE_URL
    ? "openai-compatible"
    : openaiKeys.length > 0
      ? "openai"
      : anthropicKeys.length > 0
        ? "anthropic"
        : gatewayKeys.length > 0
          ? "gateway"
          : "demo";
  const apiKeys = modelDriver === "anthropic" ? anthropicKeys : modelDriver === "gateway" ? gatewayKeys : modelDriver === "demo" ? [] : openaiKeys;
  const models = modelList(env.CHAT_MODELS) ?? DEFAULT_MODELS[modelDriver];
  if (models.length === 0) problems.push("CHAT_MODELS: expected a comma-separated list of model ids");
  const defaultChain = env.FALLBACK_MODEL ? [env.FALLBACK_MODEL] : [];
  const modelChains: Record<Tier, string[]> = {
    guest: modelList(env.LLM_MODEL_CHAIN_GUEST) ?? defaultChain,
    free: modelList(env.LLM_MODEL_CHAIN_FREE) ?? defaultChain,
    pro: modelList(env.LLM_MODEL_CHAIN_PRO) ?? defaultChain,
    admin: defaultChain,
  };
  const historyTokensByModel = parseModelBudgets(env.LLM_HISTORY_TOKENS_BY_MODEL);
  if (historyTokensByModel === null) {
    problems.push("LLM_HISTORY_TOKENS_BY_MODEL: expected model=tokens pairs separated by commas, e.g. gpt-4o=32000,gpt-4o-mini=8000");
  }
  const tpmByModel = parseModelBudgets(env.LLM_TPM_BY_MODEL);
  if (tpmByModel === null) problems.push("LLM_TPM_BY_MODEL: expected model=tokens pairs separated by commas, e.g. gpt-4o=30000,gpt-4o-mini=200000");

  const attachmentsByModel = parseModelAttachments(env.LLM_ATTACHMENTS_BY_MODEL);
  if (attachmentsByModel === null) {
    problems.push("LLM_ATTACHMENTS_BY_MODEL: expected model=kinds pairs separated by commas, kinds being image, pdf, image+pdf or none, e.g. gpt-4o=image+pdf,llama3=none");
  }
  const storage = storageConfig(env, dataDir, problems);
  const prices = parsePrices(env.LLM_PRICES);
  if (prices === null) problems.push("LLM_PRICES: expected model=input/output pairs in US dollars per million tokens, separated by commas, e.g. gpt-4o=2.5/10,gpt-4o-mini=0.15/0.6");
  const budgets = parseBudgets(env.BUDGETS_USD);
  if (budgets === null) {
    problems.push("BUDGETS_USD: expected plan=daily/monthly pairs in US dollars (- for no limit), separated by commas, e.g. free=0.5/5,pro=5/100; plans are guest, free, pro, admin");
  }

  // Embedded drivers keep state inside one process; several instances would silently split it.
  if (env.VERCEL) {
    const embedded = [
      storage.driver === "local" && "BLOB_READ_WRITE_TOKEN (or S3_BUCKET)",
      database.driver === "pglite" && "DATABASE_URL",
      hot.driver === "memory" && "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (or REDIS_URL)",
      jobs.driver === "inline" && "INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY",
    ].filter(Boolean);
    if (embedded.length > 0) {
      problems.push(`VERCEL: serverless deployments need shared drivers; set ${embedded.join(", ")}`);
    }
  }
  if (env.SMTP_URL && env.MAIL_OUTBOX) problems.push("SMTP_URL and MAIL_OUTBOX: set one (SMTP sends mail, the outbox keeps it in DATA_DIR/mail)");
  if (env.SMTP_URL && !env.MAIL_FROM) problems.push('MAIL_FROM: required with SMTP_URL (e.g. "Stampede <chat@example.com>")');
  const mailFrom = env.MAIL_FROM ?? "Stampede <stampede@localhost>";
  const mail: AppConfig["mail"] = env.SMTP_URL
    ? { driver: "smtp", url: env.SMTP_URL, from: mailFrom }
    : { driver: "outbox", dir: path.join(dataDir, "mail"), from: mailFrom, chosen: env.MAIL_OUTBOX };

  const sso = ssoProviders(env, problems);

  if (env.NODE_ENV === "production" && env.VERCEL && !env.BETTER_AUTH_SECRET) {
    problems.push("BETTER_AUTH_SECRET: required on Vercel (at least 32 random characters)");
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    env: env.NODE_ENV,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    dataDir,
    database,
    hot,
    jobs,
    model: {
      driver: modelDriver,
      baseUrl: env.OPENAI_BASE_URL,
      apiKeys,
      models,
      fallbackModel: env.FALLBACK_MODEL,
      modelChains,
      demoDelayMs: env.DEMO_MODEL_DELAY_MS,
      historyTokens: { default: env.LLM_HISTORY_TOKENS, byModel: historyTokensByModel ?? {} },
      attachmentsByModel: attachmentsByModel ?? {},
    },
    llm: {
      maxConcurrency: env.LLM_MAX_CONCURRENCY,
      rpm: env.LLM_RPM,
      tpm: env.LLM_TPM,
      tpmByModel: tpmByModel ?? {},
      maxRetries: env.LLM_MAX_RETRIES,
      fallbackAfter: env.LLM_FALLBACK_AFTER,
      retryBaseMs: env.LLM_RETRY_BASE_MS,
      tokensPerReply: env.LLM_TOKENS_PER_REPLY,
      limitWindowMs: env.LLM_LIMIT_WINDOW_MS,
    },
    chat: {
      maxMessageLength: env.MAX_MESSAGE_LENGTH,
      hotHistoryTtlSeconds: env.HOT_HISTORY_TTL_SECONDS,
      flushIntervalSeconds: env.FLUSH_INTERVAL,
      flushBacklogThreshold: env.FLUSH_BACKLOG_THRESHOLD,
      titles: env.CHAT_TITLES,
    },
    auth: {
      secret: env.BETTER_AUTH_SECRET,
      baseUrl: env.BETTER_AUTH_URL,
      adminEmail: env.ADMIN_EMAIL && normalizeEmail(env.ADMIN_EMAIL),
      guestRetentionDays: env.GUEST_RETENTION_DAYS,
      sso,
    },
    storage,
    mail,
    limits: {
      failMode: env.RATE_LIMIT_FAIL_MODE,
      timeoutMs: env.RATE_LIMIT_TIMEOUT_MS,
      // Vercel overwrites X-Forwarded-For and X-Real-IP with the address it saw, so no hop
      // counting is needed there; elsewhere only the configured proxies are believed.
      clientIp: env.VERCEL
        ? { from: "x-real-ip" }
        : env.TRUSTED_PROXY_HOPS > 0
          ? { from: "x-forwarded-for", trustedHops: env.TRUSTED_PROXY_HOPS }
          : { from: "socket" },
    },
    replyCache: { ttlSeconds: env.REPLY_CACHE_TTL_SECONDS },
    costs: { prices: { ...DEFAULT_PRICES, ...prices }, budgets: budgets ?? {} },
    metrics: { token: env.METRICS_TOKEN },
  };
}

/** Every model a reply may be answered by: those offered, then those only in fallback chains. */
export function configuredModels(model: Pick<AppConfig["model"], "models" | "modelChains">): string[] {
  return [...new Set([...model.models, ...Object.values(model.modelChains).flat()])];
}

/** A comma-separated list of model ids, or undefined when unset. */
function modelList(value: string | undefined): string[] | undefined {
  return value?.split(",").map((id) => id.trim()).filter(Boolean);
}

/** One provider's keys: the single key variable's, then its list's, each once. */
function keyPool(single: string | undefined, list: string | undefined): string[] {
  const keys = [single, ...(list ?? "").split(",")].map((key) => key?.trim()).filter((key): key is string => Boolean(key));
  return [...new Set(keys)];
}

/**
 * Where attachments go: S3 when a bucket is named, Vercel Blob with its token, else files under
 * DATA_DIR/attachments. Both named at once is a problem, not a silent pick.
 */
function storageConfig(env: z.infer<typeof envSchema>, dataDir: string, problems: string[]): AppConfig["storage"] {
  if (env.S3_BUCKET && env.BLOB_READ_WRITE_TOKEN) problems.push("S3_BUCKET and BLOB_READ_WRITE_TOKEN: set one (attachments go to one store)");
  if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
    problems.push("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: set both, or neither to use the SDK's own credential chain");
  }
  if (!env.S3_BUCKET && (env.S3_ENDPOINT || env.S3_ACCESS_KEY_ID || env.S3_REGION)) problems.push("S3_BUCKET: required with the other S3_ variables");
  if (env.S3_BUCKET) {
    return {
      driver: "s3",
      bucket: env.S3_BUCKET,
      region: env.S3_REGION ?? "us-east-1",
      endpoint: env.S3_ENDPOINT,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      forcePathStyle: env.S3_FORCE_PATH_STYLE,
      prefix: env.S3_PREFIX ? `${env.S3_PREFIX.replace(/\/+$/, "")}/` : "",
    };
  }
  if (env.BLOB_READ_WRITE_TOKEN) return { driver: "vercel-blob", token: env.BLOB_READ_WRITE_TOKEN };
  return { driver: "local", dir: path.join(dataDir, "attachments") };
}

/** Each provider whose variables are all set; a partly configured one is a problem, not silently off. */
function ssoProviders(env: z.infer<typeof envSchema>, problems: string[]): SsoProvider[] {
  const providers: SsoProvider[] = [];
  const social = [
    { id: "github", name: "GitHub", clientId: env.GITHUB_CLIENT_ID, clientSecret: env.GITHUB_CLIENT_SECRET, prefix: "GITHUB" },
    { id: "google", name: "Google", clientId: env.GOOGLE_CLIENT_ID, clientSecret: env.GOOGLE_CLIENT_SECRET, prefix: "GOOGLE" },
  ] as const;
  for (const { id, name, clientId, clientSecret, prefix } of social) {
    if (clientId && clientSecret) providers.push({ id, name, clientId, clientSecret });
    else if (clientId || clientSecret) problems.push(`${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET: set both or neither`);
  }
  const oidc = [env.OIDC_ISSUER, env.OIDC_CLIENT_ID, env.OIDC_CLIENT_SECRET];
  if (env.OIDC_ISSUER && env.OIDC_CLIENT_ID && env.OIDC_CLIENT_SECRET) {
    providers.push({
      id: "oidc",
      name: env.OIDC_PROVIDER_NAME ?? "SSO",
      issuer: env.OIDC_ISSUER.replace(/\/+$/, ""),
      clientId: env.OIDC_CLIENT_ID,
      clientSecret: env.OIDC_CLIENT_SECRET,
    });
  } else if (oidc.some(Boolean)) {
    problems.push("OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET: set all three or none");
  }
  return providers;
}

/** The line logged at startup, e.g. `db=postgres hot=redis jobs=inline model=openai-compatible`. */
export function describeDrivers(config: AppConfig): string {
  return `db=${config.database.driver} hot=${config.hot.driver} jobs=${config.jobs.driver} model=${config.model.driver} storage=${config.storage.driver}`;
}

/**
 * The mail part of the startup line. A production server whose mail silently stayed on disk
 * would leave every new account unverified and the admin without a way in, so that case says so.
 */
export function describeMail(config: AppConfig): string {
  const { mail } = config;
  if (mail.driver === "smtp") return "mail=smtp";
  if (config.env !== "production" || mail.chosen) return "mail=outbox";
  return `mail=outbox (no SMTP_URL: mail, verification links included, is written to ${mail.dir} and not sent; set SMTP_URL and MAIL_FROM, or MAIL_OUTBOX=1 to keep the outbox)`;
}

let cached: AppConfig | undefined;

/** The process's configuration, parsed on first use. */
export function getConfig(): AppConfig {
  cached ??= parseConfig(process.env);
  return cached;
}
