/**
 * The app instances the e2e suite starts, the local servers they use, and the environment each
 * one gets. E2E_PORT_BASE (the apps, default 3301 and up) and E2E_AUX_PORT_BASE (the provider
 * double and the OpenID provider, default 4311 and up) move the ports, and with them the names
 * of the Postgres database and Redis prefix, so two runs on one machine keep apart.
 */
import path from "node:path";

const root = path.resolve(__dirname, "../..");
const postgresAdmin = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const appPort = Number(process.env.E2E_PORT_BASE ?? 3301);
const auxPort = Number(process.env.E2E_AUX_PORT_BASE ?? 4311);
const runSuffix = process.env.E2E_PORT_BASE ? `_${appPort}` : "";
const providerPort = auxPort;
const servicesUrl = `http://127.0.0.1:${appPort + 1}`;
const titlesUrl = `http://127.0.0.1:${appPort + 2}`;
/** A local OpenID provider (e2e/support/oidc-provider.ts) that the embedded instance signs in with. */
const oidc = {
  port: auxPort + 1,
  issuer: `http://127.0.0.1:${auxPort + 1}`,
  clientId: "stampede-e2e",
  clientSecret: "e2e-oidc-client-secret",
  providerName: "Acme SSO",
};
/** Words in each reply of the e2e provider double: at its 50 ms a word, a reply streams for 4 s. */
const providerReplyWords = 80;

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** An instance on the embedded drivers and the demo model: where most specs run. */
function embeddedInstance(port: number, name: string) {
  const baseUrl = `http://127.0.0.1:${port}`;
  const dataDir = path.join(root, `.data/${name}${runSuffix}`);
  return {
    baseUrl,
    dataDir,
    env: {
      PORT: String(port),
      DATA_DIR: dataDir,
      BETTER_AUTH_URL: baseUrl,
      // Slow enough that a person (or a test on a loaded machine) can press Stop or reload mid-reply.
      DEMO_MODEL_DELAY_MS: "40",
      // Two model calls at once, so a handful of visitors already wait in line.
      LLM_MAX_CONCURRENCY: "2",
      TRUSTED_PROXY_HOPS: "1",
      // Dear enough that one reply uses a spending budget a test can set to the cent (e2e/costs.spec.ts).
      LLM_PRICES: "demo=100/400",
      ADMIN_EMAIL: "admin@e2e.test",
      // Offered on both; e2e/sso.spec.ts signs in on the first (the provider redirects there only).
      OIDC_ISSUER: oidc.issuer,
      OIDC_CLIENT_ID: oidc.clientId,
      OIDC_CLIENT_SECRET: oidc.clientSecret,
      OIDC_PROVIDER_NAME: oidc.providerName,
      LOG_LEVEL: "warn",
    },
  };
}

export const E2E = {
  root,
  providerPort,
  providerReplyWords,
  postgresAdmin,
  oidc,
  embedded: embeddedInstance(appPort, "e2e-embedded"),
  /**
   * A second instance like the first, for half of the embedded specs (playwright.config.ts), so
   * the two halves run side by side, each on an instance of its own.
   */
  embeddedSecond: embeddedInstance(appPort + 3, "e2e-embedded-second"),
  /**
   * Embedded drivers with titles written by the model (CHAT_TITLES=model), for e2e/titles.spec.ts:
   * the other instances keep first-line titles, which their specs look for.
   */
  titles: {
    baseUrl: titlesUrl,
    dataDir: path.join(root, `.data/e2e-titles${runSuffix}`),
    env: {
      PORT: String(appPort + 2),
      DATA_DIR: path.join(root, `.data/e2e-titles${runSuffix}`),
      BETTER_AUTH_URL: titlesUrl,
      CHAT_TITLES: "model",
      // A first reply in about a second: the spec waits for the title, not the reply.
      DEMO_MODEL_DELAY_MS: "5",
      TRUSTED_PROXY_HOPS: "1",
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
    baseUrl: servicesUrl,
    database: `stampede_e2e${runSuffix}`,
    redisPrefix: `stampede-e2e${runSuffix}:`,
    env: {
      PORT: String(appPort + 1),
      DATA_DIR: path.join(root, `.data/e2e-services${runSuffix}`),
      BETTER_AUTH_URL: servicesUrl,
      DATABASE_URL: withDatabase(postgresAdmin, `stampede_e2e${runSuffix}`),
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `stampede-e2e${runSuffix}:`,
      OPENAI_BASE_URL: `http://127.0.0.1:${providerPort}/v1`,
      CHAT_MODELS: "double-small,double-large",
      // One model that reads images and PDFs, one that does not (e2e/attachments.spec.ts).
      LLM_ATTACHMENTS_BY_MODEL: "double-small=image+pdf,double-large=none",
      LLM_PRICES: "double-small=100/400,double-large=100/400",
      LLM_MAX_CONCURRENCY: "2",
      TRUSTED_PROXY_HOPS: "1",
      // The admin of e2e/costs.spec.ts, which sets a budget on either instance.
      ADMIN_EMAIL: "admin@e2e.test",
      LOG_LEVEL: "warn",
    },
  },
} as const;
