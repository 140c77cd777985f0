/** The two app instances the e2e suite starts, and the environment each one gets. */
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const postgresAdmin = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/**
 * E2E_PORT_BASE moves the run off its default ports (3301, 3302, 4311) to the base and the next
 * two, with its own database and Redis prefix, so two runs on one machine do not meet.
 */
const portBase = process.env.E2E_PORT_BASE ? Number(process.env.E2E_PORT_BASE) : undefined;
const embeddedPort = portBase ?? 3301;
const servicesPort = portBase === undefined ? 3302 : portBase + 1;
const providerPort = portBase === undefined ? 4311 : portBase + 2;
const servicesDatabase = portBase === undefined ? "stampede_e2e" : `stampede_e2e_${portBase}`;
const servicesRedisPrefix = portBase === undefined ? "stampede-e2e:" : `stampede-e2e-${portBase}:`;
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
    baseUrl: `http://127.0.0.1:${embeddedPort}`,
    dataDir: path.join(root, ".data/e2e-embedded"),
    env: {
      PORT: String(embeddedPort),
      DATA_DIR: path.join(root, ".data/e2e-embedded"),
      BETTER_AUTH_URL: `http://127.0.0.1:${embeddedPort}`,
      // Slow enough that a person (or a test on a loaded machine) can press Stop or reload mid-reply.
      DEMO_MODEL_DELAY_MS: "40",
      // Two model calls at once, so a handful of visitors already wait in line.
      LLM_MAX_CONCURRENCY: "2",
      TRUSTED_PROXY_HOPS: "1",
      ADMIN_EMAIL: "admin@e2e.test",
      LOG_LEVEL: "warn",
    },
  },
  services: {
    baseUrl: `http://127.0.0.1:${servicesPort}`,
    database: servicesDatabase,
    redisPrefix: servicesRedisPrefix,
    env: {
      PORT: String(servicesPort),
      DATA_DIR: path.join(root, ".data/e2e-services"),
      BETTER_AUTH_URL: `http://127.0.0.1:${servicesPort}`,
      DATABASE_URL: withDatabase(postgresAdmin, servicesDatabase),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: servicesRedisPrefix,
      OPENAI_BASE_URL: `http://127.0.0.1:${providerPort}/v1`,
      CHAT_MODELS: "double-small,double-large",
      LLM_MAX_CONCURRENCY: "2",
      TRUSTED_PROXY_HOPS: "1",
      LOG_LEVEL: "warn",
    },
  },
} as const;
