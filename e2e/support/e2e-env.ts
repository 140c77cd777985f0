/** The two app instances the e2e suite starts, and the environment each one gets. */
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const postgresAdmin = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const providerPort = 4311;
/** Words in each reply of the e2e provider double: at its 50 ms a word, a reply streams for 4 s. */
const providerReplyWords = 80;

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export const E2E = {
  root,
  providerPort,
  providerReplyWords,
  postgresAdmin,
  embedded: {
    baseUrl: "http://127.0.0.1:3301",
    dataDir: path.join(root, ".data/e2e-embedded"),
    env: {
      PORT: "3301",
      DATA_DIR: path.join(root, ".data/e2e-embedded"),
      BETTER_AUTH_URL: "http://127.0.0.1:3301",
      // Slow enough that a person (or a test on a loaded machine) can press Stop or reload mid-reply.
      DEMO_MODEL_DELAY_MS: "60",
      // Two model calls at once, so a handful of visitors already wait in line.
      LLM_MAX_CONCURRENCY: "2",
      TRUSTED_PROXY_HOPS: "1",
      ADMIN_EMAIL: "admin@e2e.test",
      LOG_LEVEL: "warn",
    },
  },
  /** Embedded drivers, mail sent over SMTP to the receiver e2e/mail.spec.ts listens with. */
  mail: {
    baseUrl: "http://127.0.0.1:3711",
    smtpPort: 3712,
    dataDir: path.join(root, ".data/e2e-mail"),
    env: {
      PORT: "3711",
      DATA_DIR: path.join(root, ".data/e2e-mail"),
      BETTER_AUTH_URL: "http://127.0.0.1:3711",
      SMTP_URL: "smtp://127.0.0.1:3712",
      MAIL_FROM: "Stampede <stampede@e2e.test>",
      TRUSTED_PROXY_HOPS: "1",
      LOG_LEVEL: "warn",
    },
  },
  services: {
    baseUrl: "http://127.0.0.1:3302",
    database: "stampede_e2e",
    redisPrefix: "stampede-e2e:",
    env: {
      PORT: "3302",
      DATA_DIR: path.join(root, ".data/e2e-services"),
      BETTER_AUTH_URL: "http://127.0.0.1:3302",
      DATABASE_URL: withDatabase(postgresAdmin, "stampede_e2e"),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: "stampede-e2e:",
      OPENAI_BASE_URL: `http://127.0.0.1:${providerPort}/v1`,
      CHAT_MODELS: "double-small,double-large",
      LLM_MAX_CONCURRENCY: "2",
      TRUSTED_PROXY_HOPS: "1",
      LOG_LEVEL: "warn",
    },
  },
} as const;
