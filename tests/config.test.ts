import { describe, expect, it } from "vitest";
import { ConfigError, describeDrivers, parseConfig } from "@/lib/config";

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the configuration to be refused");
}

describe("configuration", () => {
  it("runs on embedded drivers when nothing is set", () => {
    const config = parseConfig({});
    expect(describeDrivers(config)).toBe("db=pglite hot=memory jobs=inline model=demo storage=local");
    expect(config.chat.maxMessageLength).toBe(8000);
    expect(config.model.models).toEqual(["demo"]);
  });

  it("chooses each real driver from its variables", () => {
    const config = parseConfig({
      DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/app",
      REDIS_URL: "redis://127.0.0.1:6379",
      INNGEST_DEV: "1",
      OPENAI_BASE_URL: "http://127.0.0.1:4010/v1",
      CHAT_MODELS: "small, large",
    });
    expect(describeDrivers(config)).toBe("db=postgres hot=redis jobs=inngest model=openai-compatible storage=local");
    expect(config.model.models).toEqual(["small", "large"]);
  });

  it("pools a provider's keys: the single key variable first, then its list, each once", () => {
    expect(parseConfig({ OPENAI_API_KEY: "sk-a", OPENAI_API_KEYS: "sk-b, sk-a ,,sk-c" }).model).toMatchObject({
      driver: "openai",
      apiKeys: ["sk-a", "sk-b", "sk-c"],
    });
    // The list alone chooses its provider, as the single variable does.
    expect(parseConfig({ ANTHROPIC_API_KEYS: "ak-1,ak-2" }).model).toMatchObject({ driver: "anthropic", apiKeys: ["ak-1", "ak-2"] });
    expect(parseConfig({ OPENAI_BASE_URL: "http://127.0.0.1:4010/v1" }).model.apiKeys).toEqual([]);
    expect(parseConfig({}).model.apiKeys).toEqual([]);
  });

  it("stores attachments under DATA_DIR, in an S3-compatible bucket or in Vercel Blob, by its variables", () => {
    expect(parseConfig({ DATA_DIR: "/srv/stampede" }).storage).toEqual({ driver: "local", dir: "/srv/stampede/attachments" });
    expect(
      parseConfig({
        S3_BUCKET: "chat-files",
        S3_ENDPOINT: "http://127.0.0.1:9000",
        S3_ACCESS_KEY_ID: "minio",
        S3_SECRET_ACCESS_KEY: "minio-secret",
        S3_FORCE_PATH_STYLE: "1",
        S3_PREFIX: "stampede/",
      }).storage,
    ).toEqual({
      driver: "s3",
      bucket: "chat-files",
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9000",
      accessKeyId: "minio",
      secretAccessKey: "minio-secret",
      forcePathStyle: true,
      prefix: "stampede/",
    });
    const blob = parseConfig({ BLOB_READ_WRITE_TOKEN: "vercel_blob_rw_store_secret" });
    expect(blob.storage).toEqual({ driver: "vercel-blob", token: "vercel_blob_rw_store_secret" });
    expect(describeDrivers(blob)).toMatch(/ storage=vercel-blob$/);
    expect(problemsOf({ S3_BUCKET: "b", BLOB_READ_WRITE_TOKEN: "t" })).toEqual([expect.stringMatching(/^S3_BUCKET and BLOB_READ_WRITE_TOKEN/)]);
    expect(problemsOf({ S3_BUCKET: "b", S3_ACCESS_KEY_ID: "only-half" })).toEqual([expect.stringMatching(/^S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY/)]);
    expect(problemsOf({ S3_ENDPOINT: "http://127.0.0.1:9000" })).toEqual([expect.stringMatching(/^S3_BUCKET: required/)]);
  });

  it("reads which models take images and PDFs from LLM_ATTACHMENTS_BY_MODEL", () => {
    expect(parseConfig({ LLM_ATTACHMENTS_BY_MODEL: "vision=image+pdf, text=none,eyes=image" }).model.attachmentsByModel).toEqual({
      vision: ["image", "pdf"],
      text: [],
      eyes: ["image"],
    });
    expect(problemsOf({ LLM_ATTACHMENTS_BY_MODEL: "vision=video" })).toEqual([expect.stringMatching(/^LLM_ATTACHMENTS_BY_MODEL/)]);
  });

  it("prefers Upstash over REST when both it and REDIS_URL are set", () => {
    const config = parseConfig({
      UPSTASH_REDIS_REST_URL: "https://example.upstash.io",
      UPSTASH_REDIS_REST_TOKEN: "token",
      REDIS_URL: "redis://127.0.0.1:6379",
    });
    expect(config.hot.driver).toBe("upstash");
  });

  it.each([
    [{ DATABASE_URL: "mysql://root@localhost/app" }, "DATABASE_URL"],
    [{ REDIS_URL: "127.0.0.1:6379" }, "REDIS_URL"],
    [{ LLM_RPM: "fast" }, "LLM_RPM"],
    [{ LLM_MAX_CONCURRENCY: "0" }, "LLM_MAX_CONCURRENCY"],
    [{ LLM_FALLBACK_AFTER: "0" }, "LLM_FALLBACK_AFTER"],
    [{ LLM_TOKENS_PER_REPLY: "many" }, "LLM_TOKENS_PER_REPLY"],
    [{ LLM_RETRY_BASE_MS: "-5" }, "LLM_RETRY_BASE_MS"],
    [{ MAX_MESSAGE_LENGTH: "-5" }, "MAX_MESSAGE_LENGTH"],
    [{ UPSTASH_REDIS_REST_URL: "https://example.upstash.io" }, "UPSTASH_REDIS_REST_TOKEN"],
    [{ INNGEST_EVENT_KEY: "key-only" }, "INNGEST_SIGNING_KEY"],
    [{ BETTER_AUTH_SECRET: "short" }, "BETTER_AUTH_SECRET"],
    [{ ADMIN_EMAIL: "not-an-email" }, "ADMIN_EMAIL"],
    [{ INNGEST_DEV: "yes" }, "INNGEST_DEV"],
    [{ METRICS_TOKEN: "too-short" }, "METRICS_TOKEN"],
  ])("refuses %o with a message naming %s", (env, variable) => {
    const problems = problemsOf(env);
    expect(problems.some((problem) => problem.includes(variable))).toBe(true);
  });

  it("refuses INNGEST_DEV in production unless INNGEST_ALLOW_DEV_IN_PRODUCTION says so", () => {
    const production = { NODE_ENV: "production", INNGEST_DEV: "1" };
    const problems = problemsOf(production);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^INNGEST_DEV: refused with NODE_ENV=production/);
    expect(problems[0]).toContain("INNGEST_ALLOW_DEV_IN_PRODUCTION=1");
    expect(parseConfig({ ...production, INNGEST_ALLOW_DEV_IN_PRODUCTION: "1" }).jobs).toMatchObject({ driver: "inngest", dev: true });
    // Development keeps the dev server without being told; production with keys needs no flag.
    expect(parseConfig({ INNGEST_DEV: "1" }).jobs).toMatchObject({ driver: "inngest", dev: true });
    expect(parseConfig({ NODE_ENV: "production", INNGEST_EVENT_KEY: "event", INNGEST_SIGNING_KEY: "signkey-prod-0123" }).jobs).toMatchObject({
      driver: "inngest",
      dev: false,
    });
  });

  it("reads prices (LLM_PRICES over the defaults) and plan budgets (BUDGETS_USD) as micro-dollars, and refuses malformed ones", () => {
    const defaults = parseConfig({}).costs;
    expect(defaults.prices.demo).toEqual({ inputMicrosPerMillion: 100_000, outputMicrosPerMillion: 400_000 });
    expect(defaults.budgets).toEqual({});
    const costs = parseConfig({ LLM_PRICES: "gpt-4o=3/12.5, my/model=0.000001/0", BUDGETS_USD: "guest=0.05/-,pro=5/100" }).costs;
    expect(costs.prices["gpt-4o"]).toEqual({ inputMicrosPerMillion: 3_000_000, outputMicrosPerMillion: 12_500_000 });
    expect(costs.prices["my/model"]).toEqual({ inputMicrosPerMillion: 1, outputMicrosPerMillion: 0 });
    expect(costs.prices["gpt-4o-mini"]).toEqual(defaults.prices["gpt-4o-mini"]);
    expect(costs.budgets).toEqual({ guest: { dailyMicros: 50_000 }, pro: { dailyMicros: 5_000_000, monthlyMicros: 100_000_000 } });
    for (const LLM_PRICES of ["gpt-4o=3", "gpt-4o=3/x", "=1/2", "gpt-4o=1/2/3", "gpt-4o=-1/2", "gpt-4o=0.0000001/1"]) {
      expect(problemsOf({ LLM_PRICES })[0], LLM_PRICES).toMatch(/^LLM_PRICES: expected model=input\/output pairs/);
    }
    for (const BUDGETS_USD of ["free=1", "gold=1/2", "free=1/2/3", "free=a/-", "free"]) {
      expect(problemsOf({ BUDGETS_USD })[0], BUDGETS_USD).toMatch(/^BUDGETS_USD: expected plan=daily\/monthly pairs/);
    }
  });

  it("turns /api/metrics on only with a METRICS_TOKEN", () => {
    expect(parseConfig({}).metrics.token).toBeUndefined();
    expect(parseConfig({ METRICS_TOKEN: "  " }).metrics.token).toBeUndefined();
    expect(parseConfig({ METRICS_TOKEN: "a-long-enough-metrics-token" }).metrics.token).toBe("a-long-enough-metrics-token");
  });

  it("refuses embedded drivers on Vercel, naming the settings to add", () => {
    const problems = problemsOf({ VERCEL: "1" });
    const message = problems.join("\n");
    expect(message).toContain("DATABASE_URL");
    expect(message).toContain("UPSTASH_REDIS_REST_URL");
    expect(message).toContain("INNGEST_EVENT_KEY");
    expect(message).toContain("BLOB_READ_WRITE_TOKEN");
  });
});
