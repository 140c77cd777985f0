/**
 * The stampede benchmark (`npm run bench`): a thousand users arrive at once under a provider rate
 * limit, first through Stampede (a production build, `next start`), then through a naive server
 * that calls the model directly, on the same provider double. Then two single-instance figures:
 * time-to-first-token overhead against a bare route on an instant provider, and a thousand reply
 * streams open at once. The stampede runs a second time with the jobs on an Inngest dev server
 * (the `inngest` binary the test run builds, scripts/test/inngest-binary.ts) instead of the
 * in-process runner. Results go to bench/results/latest.{json,md}.
 *
 *   npm run bench                          # builds, then runs every phase with the defaults
 *   npm run bench -- --users 300 --rpm 300 --skip-build
 *   npm run bench -- --help
 *
 * Uses PostgreSQL and Redis when they answer (a fresh database per server and a fresh key prefix,
 * removed afterwards), the embedded drivers otherwise; the output says which.
 *
 * Inngest's executor binds fixed gRPC ports (50052, 50053), so one Inngest server runs per network
 * namespace: where another may run, run the bench in its own namespace, where it starts its own
 * PostgreSQL and Redis (as the test run does):
 *   unshare -n sh -c 'ip link set lo up && npm run bench'
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import pg from "pg";
import { burst, mapPool, now, sendAndRead, signInGuest, type Session, type UserOutcome } from "./lib/client";
import { serverNodeOptions } from "../scripts/server-node-options";
import { startProviderDouble } from "../lib/testing/provider-double";
import { startUpstashRestServer } from "../lib/testing/upstash-rest-server";
import { measureReplyCommands, renderRedisCommands, REPLY_LENGTHS, type RedisCommandsRun } from "./lib/redis-commands";
import { binaries, firstLine, sampleRss, startChild, waitForHttp, type Child } from "./lib/processes";
import {
  burstFigures,
  distribution,
  formatBytes,
  formatDistribution,
  formatMs,
  markdownTable,
  ratio,
  type BurstFigures,
  type Distribution,
  type ProviderStats,
} from "./lib/stats";
import { provideInngestBinary } from "../scripts/test/inngest-binary";
import { MissingTestDependency, providePostgres, provideRedis, type TestService } from "../scripts/test/services";
import { PROVIDER_BEHAVIOURS, renderBehaviours, runProviderBehaviours, type BehaviourFigures } from "./lib/provider-behaviours";
import {
  createScratchPostgres,
  migratePglite,
  pgliteHistory,
  scratchRedis,
  suffix,
  type HistoryFigures,
  type ScratchDatabase,
  type ScratchRedis,
} from "./lib/stores";

const USAGE = `Usage: npm run bench -- [options]
  --users <n>               simulated users in the stampede (default 1000)
  --rpm <n>                 the provider double's cap per --window-ms (default 600); LLM_RPM is set to match
  --window-ms <n>           the window the cap counts over (default 60000)
  --spread-ms <n>           the burst's users all send within this many ms (default 3000)
  --latency <ms>            provider delay before the first token (default 300)
  --token-delay <ms>        provider delay between tokens (default 15)
  --tokens <n>              words per reply (default 24)
  --concurrency <n>         LLM_MAX_CONCURRENCY (default 16)
  --flush-interval <s>      FLUSH_INTERVAL of the server (default 10)
  --ttft-samples <n>        requests per side in the TTFT overhead phase (default 300)
  --open-streams <n>        reply streams held open at once in the last phase (default: --users)
  --stream-seconds <n>      how long each of those streams lasts (default 10)
  --behaviour-users <n>     users in each burst of the provider-behaviours phase (default 300)
  --behaviour-phase <ms>    begin each behaviour's burst this far into the provider's window, on the clock (default: when its warm-up is over)
  --behaviours <list>       which provider behaviours that phase runs: ${PROVIDER_BEHAVIOURS.map((behaviour) => behaviour.key).join(",")} (default all)
  --only <list>             phases to run: stampede,inngest,baseline,ttft,streams,commands,behaviours (default all)
  --skip-build              use the existing .next build
  --embedded                use the embedded drivers even when PostgreSQL and Redis answer
  --update-readme           replace the README's benchmark block with this run's tables
  --out <dir>               where results go (default bench/results)
  --port-base <n>           loopback ports used: n to n+5 (default 3711)`;

const { values: flags } = parseArgs({
  options: {
    help: { type: "boolean", short: "h" },
    users: { type: "string", default: "1000" },
    rpm: { type: "string", default: "600" },
    "window-ms": { type: "string", default: "60000" },
    "spread-ms": { type: "string", default: "3000" },
    latency: { type: "string", default: "300" },
    "token-delay": { type: "string", default: "15" },
    tokens: { type: "string", default: "24" },
    concurrency: { type: "string", default: "16" },
    "flush-interval": { type: "string", default: "10" },
    "ttft-samples": { type: "string", default: "300" },
    "open-streams": { type: "string" },
    "stream-seconds": { type: "string", default: "10" },
    "behaviour-users": { type: "string", default: "300" },
    "behaviour-phase": { type: "string" },
    behaviours: { type: "string", default: PROVIDER_BEHAVIOURS.map((behaviour) => behaviour.key).join(",") },
    only: { type: "string", default: "stampede,inngest,baseline,ttft,streams,commands,behaviours" },
    "port-base": { type: "string", default: "3711" },
    "skip-build": { type: "boolean" },
    embedded: { type: "boolean" },
    "update-readme": { type: "boolean" },
    out: { type: "string", default: "bench/results" },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

function int(name: keyof typeof flags): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`--${name} expects a whole number, got ${String(flags[name])}`);
  return value;
}

const ROOT = process.cwd();
const BIN = binaries(ROOT);
const RUN_ID = suffix();
const settings = {
  users: int("users"),
  rpm: int("rpm"),
  windowMs: int("window-ms"),
  spreadMs: int("spread-ms"),
  latencyMs: int("latency"),
  tokenDelayMs: int("token-delay"),
  tokensPerReply: int("tokens"),
  maxConcurrency: int("concurrency"),
  flushIntervalSeconds: int("flush-interval"),
  ttftSamples: int("ttft-samples"),
  openStreams: flags["open-streams"] === undefined ? int("users") : int("open-streams"),
  streamSeconds: int("stream-seconds"),
  behaviourUsers: int("behaviour-users"),
  behaviourPhaseMs: flags["behaviour-phase"] === undefined ? undefined : int("behaviour-phase"),
};
/** The cap as a per-minute rate: what LLM_RPM must say for the app to pace itself under it. */
const capPerMinute = Math.floor((settings.rpm * 60_000) / settings.windowMs);
const phases = new Set(flags.only!.split(",").map((phase) => phase.trim()));
const behaviours = flags.behaviours!.split(",").map((key) => {
  const behaviour = PROVIDER_BEHAVIOURS.find((known) => known.key === key.trim());
  if (!behaviour) throw new RangeError(`--behaviours: unknown behaviour ${key}`);
  return behaviour;
});
const portBase = int("port-base");
const PORTS = {
  stampede: portBase,
  naive: portBase + 1,
  bare: portBase + 2,
  upstashRest: portBase + 3,
  inngest: portBase + 4,
  inngestGateway: portBase + 5,
};
const ORIGIN = `http://127.0.0.1:${PORTS.stampede}`;
/** Retries after a failed model call, Stampede's (LLM_MAX_RETRIES, its default) and the naive server's alike. */
const MODEL_RETRIES = 4;
const POSTGRES_ADMIN_GIVEN = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL;
const REDIS_URL_GIVEN = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL;

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/**
 * Only what a process needs from the bench's own environment: the app reads nothing else by
 * accident. BENCH_NODE_OPTIONS reaches the servers as NODE_OPTIONS (e.g. "--cpu-prof").
 */
function baseEnv(): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG,
    TMPDIR: process.env.TMPDIR,
    NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS,
  };
}

// --- the stores --------------------------------------------------------------------------

interface Stores {
  kind: "services" | "embedded";
  describe: string;
  stampedeDb?: ScratchDatabase;
  naiveDb?: ScratchDatabase;
  redis?: ScratchRedis;
  dataDir: string;
  naivePgliteDir?: string;
  /** The stampede's second run, with jobs on Inngest: its own database, key prefix and folder. */
  inngest?: StampedeStores;
  /** Stops the PostgreSQL and Redis the bench started itself. */
  stopServices?: () => Promise<void>;
}

/** What one Stampede server of the bench runs on. */
type StampedeStores = Pick<Stores, "stampedeDb" | "redis" | "dataDir">;

/**
 * PostgreSQL and Redis at BENCH_POSTGRES_URL / BENCH_REDIS_URL (or the test run's variables, or
 * their default addresses), else started for the run as the test run starts them: in a network
 * namespace of its own (see the header) nothing else answers. Undefined when neither can be had.
 */
async function provideServices(): Promise<TestService[] | undefined> {
  const env = { ...process.env, TEST_POSTGRES_URL: POSTGRES_ADMIN_GIVEN, TEST_REDIS_URL: REDIS_URL_GIVEN };
  const started: TestService[] = [];
  try {
    started.push(await providePostgres(env));
    started.push(await provideRedis(env));
    return started;
  } catch (error) {
    if (!(error instanceof MissingTestDependency)) throw error;
    log(`no PostgreSQL and Redis: ${error.message}`);
    await Promise.all(started.map((service) => service.stop()));
    return undefined;
  }
}

async function prepareStores(): Promise<Stores> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "stampede-bench-"));
  const services = flags.embedded ? undefined : await provideServices();
  if (services) {
    const [postgres, redisService] = services;
    const stampedeDb = await createScratchPostgres(postgres.url, "app");
    const naiveDb = await createScratchPostgres(postgres.url, "naive");
    const redis = scratchRedis(redisService.url);
    const inngest = phases.has("inngest")
      ? { stampedeDb: await createScratchPostgres(postgres.url, "inngest"), redis: scratchRedis(redisService.url), dataDir: path.join(dataDir, "inngest") }
      : undefined;
    return {
      kind: "services",
      describe: `${services.map((service) => service.origin).join(", ")} (databases ${[stampedeDb, naiveDb, inngest?.stampedeDb].filter(Boolean).map((db) => db!.name).join(", ")}; key prefixes ${[redis, inngest?.redis].filter(Boolean).map((scratch) => scratch!.prefix).join(", ")})`,
      stampedeDb,
      naiveDb,
      redis,
      dataDir,
      inngest,
      stopServices: async () => {
        for (const service of services) await service.stop();
      },
    };
  }
  const naivePgliteDir = path.join(dataDir, "naive-pglite");
  await migratePglite(naivePgliteDir);
  return {
    kind: "embedded",
    describe: `embedded drivers: PGlite in ${dataDir}, in-process hot store and runner (PostgreSQL or Redis did not answer${flags.embedded ? ", or --embedded" : ""})`,
    dataDir,
    naivePgliteDir,
    inngest: phases.has("inngest") ? { dataDir: path.join(dataDir, "inngest") } : undefined,
  };
}

async function disposeStores(stores: Stores): Promise<void> {
  await stores.stampedeDb?.drop().catch(() => undefined);
  await stores.naiveDb?.drop().catch(() => undefined);
  await stores.redis?.clear().catch(() => undefined);
  await stores.inngest?.stampedeDb?.drop().catch(() => undefined);
  await stores.inngest?.redis?.clear().catch(() => undefined);
  await stores.stopServices?.().catch(() => undefined);
  rmSync(stores.dataDir, { recursive: true, force: true });
}

// --- processes ----------------------------------------------------------------------------

interface DoubleOptions {
  rpm?: number;
  windowMs?: number;
  latencyMs: number;
  tokenDelayMs: number;
  tokensPerReply: number;
  stamp?: boolean;
  limiter?: (typeof PROVIDER_BEHAVIOURS)[number]["limiter"];
  headers?: (typeof PROVIDER_BEHAVIOURS)[number]["headers"];
}

async function startDouble(name: string, options: DoubleOptions): Promise<{ child: Child; url: string; base: string }> {
  const args = [
    BIN.tsx,
    "scripts/provider-double.ts",
    "--latency",
    String(options.latencyMs),
    "--token-delay",
    String(options.tokenDelayMs),
    "--tokens",
    String(options.tokensPerReply),
  ];
  if (options.rpm !== undefined) args.push("--rpm", String(options.rpm), "--window", String(options.windowMs ?? 60_000));
  if (options.stamp) args.push("--stamp");
  if (options.limiter) args.push("--limiter", options.limiter);
  if (options.headers) args.push("--headers", options.headers);
  const child = startChild(name, BIN.node, args, { cwd: ROOT, env: baseEnv() });
  const url = await firstLine(child);
  return { child, url, base: url.replace(/\/v1$/, "") };
}

async function doubleStats(base: string): Promise<ProviderStats> {
  return (await (await fetch(`${base}/stats`)).json()) as ProviderStats;
}

async function resetDouble(base: string): Promise<void> {
  await (await fetch(`${base}/reset`, { method: "POST" })).arrayBuffer();
}

function stampedeEnv(stores: StampedeStores, modelUrl: string, overrides: Record<string, string>): Record<string, string | undefined> {
  return {
    ...baseEnv(),
    // As `npm start` runs it; BENCH_NODE_OPTIONS come after, so they can override.
    NODE_OPTIONS: [serverNodeOptions(ROOT), process.env.BENCH_NODE_OPTIONS].filter(Boolean).join(" "),
    NODE_ENV: "production",
    PORT: String(PORTS.stampede),
    DATA_DIR: stores.dataDir,
    ...(stores.stampedeDb && { DATABASE_URL: stores.stampedeDb.url }),
    ...(stores.redis && { REDIS_URL: stores.redis.url, REDIS_PREFIX: stores.redis.prefix }),
    OPENAI_BASE_URL: modelUrl,
    CHAT_MODELS: "double-model",
    TRUSTED_PROXY_HOPS: "1",
    FLUSH_INTERVAL: String(settings.flushIntervalSeconds),
    BETTER_AUTH_SECRET: "bench-secret-bench-secret-bench-secret-0000",
    BETTER_AUTH_URL: ORIGIN,
    LLM_MAX_RETRIES: String(MODEL_RETRIES),
    LOG_LEVEL: "warn",
    ...overrides,
  };
}

async function startStampede(env: Record<string, string | undefined>): Promise<Child> {
  const child = startChild("next", BIN.node, [BIN.next, "start", "-p", String(PORTS.stampede), "-H", "127.0.0.1"], { cwd: ROOT, env });
  await waitForHttp(`${ORIGIN}/api/health`, child, 90_000);
  return child;
}

/** A fair baseline: the naive server retries a failed call as often as Stampede, with the same heap settings. */
async function startNaive(port: number, modelUrl: string, stores: Stores | null): Promise<Child> {
  const args = [BIN.tsx, "bench/naive-server.ts", "--port", String(port), "--model-url", modelUrl, "--max-retries", String(MODEL_RETRIES)];
  if (stores?.naiveDb) args.push("--database-url", stores.naiveDb.url);
  else if (stores?.naivePgliteDir) args.push("--pglite-dir", stores.naivePgliteDir);
  const env = { ...baseEnv(), NODE_OPTIONS: [serverNodeOptions(ROOT), process.env.BENCH_NODE_OPTIONS].filter(Boolean).join(" ") };
  const child = startChild(`naive:${port}`, BIN.node, args, { cwd: ROOT, env });
  await waitForHttp(`http://127.0.0.1:${port}/health`, child, 60_000);
  return child;
}

/** The stampede again, its jobs on `inngest dev`; skipped, with the reason, without a binary. */
async function runOnInngest(stores: StampedeStores): Promise<BurstRun | undefined> {
  const binary = provideInngestBinary(process.env);
  if ("missing" in binary) {
    log(`inngest: skipped (${binary.missing})`);
    return undefined;
  }
  log(`inngest: ${binary.origin}`);
  const inngest = await startInngestDev(binary.path);
  try {
    return (await runStampede(stores, inngest.jobs)).run;
  } finally {
    await inngest.child.stop();
  }
}

// --- phases --------------------------------------------------------------------------------

interface DatabaseFigures extends HistoryFigures {
  /** pg_stat_database.xact_commit during the burst and the final flush (reads included); null when embedded. */
  commits: number | null;
}

interface BurstRun {
  figures: BurstFigures;
  database: DatabaseFigures;
  peakRssBytes: number;
  idleRssBytes: number;
}

function userText(index: number): string {
  return `Hello from user ${index} of run ${RUN_ID}, what should I cook tonight?`;
}

const STREAM_TIMEOUT_MS = 15 * 60_000;

/**
 * A user's one message to Stampede, its reply read to the end. The text names the session's user,
 * so no two users (in any phase) open a chat alike and none is answered from the reply cache.
 */
function sendMessage(session: Session, index: number): Promise<UserOutcome> {
  return sendAndRead(`${ORIGIN}/api/chat`, {
    index,
    timeoutMs: STREAM_TIMEOUT_MS,
    headers: { cookie: session.cookie, origin: ORIGIN, "x-forwarded-for": session.ip },
    body: { chatId: `bench-${RUN_ID}-${session.index}`, messageId: `m-${RUN_ID}-${session.index}`, text: userText(session.index) },
  });
}

/** Where the stampede's reply jobs run: the in-process runner, or an Inngest dev server. */
interface JobsSetup {
  label: string;
  /** How often the periodic flush runs: FLUSH_INTERVAL in process, at most once a minute as an Inngest cron. */
  flushEverySeconds: number;
  env: Record<string, string>;
  /** Registers the app with the job system once its server answers. */
  connect(): Promise<void>;
}

const IN_PROCESS_JOBS: JobsSetup = { label: "stampede", flushEverySeconds: settings.flushIntervalSeconds, env: {}, connect: async () => undefined };

/**
 * `inngest dev` on its own port, calling the app back at its serve route. Its executor's gRPC ports
 * are fixed: a second Inngest server on the machine (a test run's) makes it fail at once.
 */
async function startInngestDev(binary: string): Promise<{ child: Child; jobs: JobsSetup }> {
  const url = `http://127.0.0.1:${PORTS.inngest}`;
  const sdkUrl = `${ORIGIN}/api/inngest`;
  const child = startChild(
    "inngest",
    binary,
    ["dev", "--host", "127.0.0.1", "-p", String(PORTS.inngest), "--connect-gateway-port", String(PORTS.inngestGateway), "-u", sdkUrl, "--no-discovery", "--no-poll"],
    { cwd: ROOT, env: baseEnv() },
  );
  await waitForHttp(`${url}/health`, child, 30_000);
  const jobs: JobsSetup = {
    label: "inngest",
    flushEverySeconds: Math.max(60, settings.flushIntervalSeconds),
    env: {
      INNGEST_DEV: "1",
      // The bench's server is on loopback, reachable by the dev server alone.
      INNGEST_ALLOW_DEV_IN_PRODUCTION: "1",
      INNGEST_BASE_URL: url,
      // The release the test run builds (1.12) predates checkpointing.
      INNGEST_CHECKPOINTING: "0",
    },
    async connect() {
      const response = await fetch(sdkUrl, { method: "PUT" });
      if (!response.ok) throw new Error(`syncing ${sdkUrl} with the Inngest dev server failed: ${response.status} ${await response.text()}`);
    },
  };
  return { child, jobs };
}

async function runStampede(stores: StampedeStores, jobs: JobsSetup = IN_PROCESS_JOBS): Promise<{ run: BurstRun; sessions: Session[] }> {
  const { label } = jobs;
  const double = await startDouble("double", { ...doubleShape(), rpm: settings.rpm, windowMs: settings.windowMs, stamp: true });
  const env = stampedeEnv(stores, double.url, {
    LLM_RPM: String(capPerMinute),
    LLM_MAX_CONCURRENCY: String(settings.maxConcurrency),
    ...jobs.env,
  });
  try {
    let server = await startStampede(env);
    await jobs.connect();
    log(`${label}: signing in ${settings.users} guests`);
    const signInStarted = now();
    const sessions = await mapPool(
      Array.from({ length: settings.users }, (_, index) => index),
      16,
      (index) => signInGuest(ORIGIN, ORIGIN, index),
    );
    log(`${label}: ${sessions.length} guest sessions in ${((now() - signInStarted) / 1000).toFixed(1)} s`);
    // A restart closes the server's connections, so PostgreSQL has counted their commits: the
    // burst's count starts clean.
    await server.stop();
    const commitsBefore = (await stores.stampedeDb?.commits()) ?? null;
    server = await startStampede(env);
    const rss = sampleRss(server.process.pid!);
    const idleRssBytes = rss.read().lastBytes;
    await resetDouble(double.base);

    log(`${label}: ${settings.users} users send one message each within ${settings.spreadMs} ms`);
    const outcomes = await burst(settings.users, settings.spreadMs, (index) =>
      sendAndRead(`${ORIGIN}/api/chat`, {
        index,
        timeoutMs: STREAM_TIMEOUT_MS,
        headers: { cookie: sessions[index].cookie, origin: ORIGIN, "x-forwarded-for": sessions[index].ip },
        body: { chatId: `bench-${label}-${RUN_ID}-${index}`, messageId: `m-${label}-${RUN_ID}-${index}`, text: userText(index) },
      }),
    );
    const provider = await doubleStats(double.base);
    const peakRssBytes = rss.read().peakBytes;
    const figures = burstFigures(outcomes, provider, capPerMinute);
    log(`${label}: ${figures.repliesCompleted}/${settings.users} replies in ${figures.wallSeconds.toFixed(1)} s; waiting for the final flush`);

    await waitForFinalFlush(stores, jobs.flushEverySeconds);
    rss.stop();
    await server.stop();
    const database = await databaseFigures(stores.stampedeDb, commitsBefore, () => pgliteHistory(path.join(stores.dataDir, "pglite")));
    return { run: { figures, database, peakRssBytes, idleRssBytes }, sessions };
  } finally {
    await double.child.stop();
  }
}

function doubleShape(): DoubleOptions {
  return { latencyMs: settings.latencyMs, tokenDelayMs: settings.tokenDelayMs, tokensPerReply: settings.tokensPerReply };
}

async function waitForFinalFlush(stores: StampedeStores, flushEverySeconds: number): Promise<void> {
  if (!stores.redis) {
    // Embedded: nothing to poll from outside the process; one interval plus margin is the flush.
    await sleep(flushEverySeconds * 1000 + 3000);
    return;
  }
  const deadline = Date.now() + flushEverySeconds * 3000 + 15_000;
  while (Date.now() < deadline) {
    if ((await stores.redis.unflushed()) === 0) return;
    await sleep(500);
  }
  log(`warning: ${await stores.redis.unflushed()} chats still unflushed after waiting`);
}

async function databaseFigures(
  db: ScratchDatabase | undefined,
  commitsBefore: number | null,
  embedded: () => Promise<HistoryFigures>,
): Promise<DatabaseFigures> {
  if (!db) return { ...(await embedded()), commits: null };
  const after = await db.commits();
  return { ...(await db.history()), commits: after === null || commitsBefore === null ? null : after - commitsBefore };
}

async function runBaseline(stores: Stores): Promise<BurstRun> {
  const double = await startDouble("double", { ...doubleShape(), rpm: settings.rpm, windowMs: settings.windowMs, stamp: true });
  const userIds = Array.from({ length: settings.users }, (_, index) => `naive-${RUN_ID}-${index}`);
  // The naive app's users exist before the burst, as the guests do in Stampede's run.
  if (stores.naiveDb) {
    const client = new pg.Client({ connectionString: stores.naiveDb.url });
    await client.connect();
    for (let start = 0; start < userIds.length; start += 500) {
      const slice = userIds.slice(start, start + 500);
      await client.query(
        `INSERT INTO "user" ("id", "name", "email") SELECT id, id, id || '@naive.local' FROM unnest($1::text[]) AS id`,
        [slice],
      );
    }
    await client.end();
  } else if (stores.naivePgliteDir) {
    const { PGlite } = await import("@electric-sql/pglite");
    const db = await PGlite.create(stores.naivePgliteDir);
    await db.query(`INSERT INTO "user" ("id", "name", "email") SELECT id, id, id || '@naive.local' FROM unnest($1::text[]) AS id`, [userIds]);
    await db.close();
  }
  try {
    const commitsBefore = (await stores.naiveDb?.commits()) ?? null;
    const server = await startNaive(PORTS.naive, double.url, stores);
    const rss = sampleRss(server.process.pid!);
    const idleRssBytes = rss.read().lastBytes;
    await resetDouble(double.base);
    log(`baseline: the same ${settings.users} users through the naive server`);
    const outcomes = await burst(settings.users, settings.spreadMs, (index) =>
      sendAndRead(`http://127.0.0.1:${PORTS.naive}/naive/chat`, {
        index,
        timeoutMs: STREAM_TIMEOUT_MS,
        headers: {},
        body: { userId: userIds[index], chatId: `naive-${RUN_ID}-${index}`, messageId: `nm-${RUN_ID}-${index}`, text: userText(index) },
      }),
    );
    const provider = await doubleStats(double.base);
    const figures = burstFigures(outcomes, provider, capPerMinute);
    log(`baseline: ${figures.repliesCompleted}/${settings.users} replies in ${figures.wallSeconds.toFixed(1)} s`);
    const peakRssBytes = rss.stop().peakBytes;
    await server.stop();
    const database = await databaseFigures(stores.naiveDb, commitsBefore, () => pgliteHistory(stores.naivePgliteDir!));
    return { figures, database, peakRssBytes, idleRssBytes };
  } finally {
    await double.child.stop();
  }
}

/**
 * Requests per side before the TTFT samples count: both servers start fresh for the phase, and
 * their first requests run cold code (ten were too few; the p50 still moved by several ms).
 */
const TTFT_WARM_UP = 50;

interface TtftRun {
  samples: number;
  stampede: Distribution;
  bare: Distribution;
  overheadP50Ms: number | null;
  overheadP95Ms: number | null;
}

/** Instant provider, one request at a time: request → first token through Stampede and through a bare route. */
async function runTtft(stores: Stores, sessions: Session[]): Promise<TtftRun> {
  const double = await startDouble("double-instant", { latencyMs: 0, tokenDelayMs: 0, tokensPerReply: settings.tokensPerReply });
  const server = await startStampede(
    stampedeEnv(stores, double.url, { LLM_RPM: "1000000", LLM_MAX_CONCURRENCY: String(settings.maxConcurrency) }),
  );
  const bare = await startNaive(PORTS.bare, double.url, null);
  try {
    const count = Math.min(settings.ttftSamples, sessions.length - TTFT_WARM_UP);
    const stampedeTimes: number[] = [];
    const bareTimes: number[] = [];
    log(`ttft: ${count} requests each through Stampede and a bare route (instant provider, one at a time)`);
    for (let i = 0; i < count + TTFT_WARM_UP; i += 1) {
      const session = sessions[i];
      const viaStampede = await sendAndRead(`${ORIGIN}/api/chat`, {
        index: i,
        timeoutMs: 30_000,
        headers: { cookie: session.cookie, origin: ORIGIN, "x-forwarded-for": session.ip },
        body: { chatId: `ttft-${RUN_ID}-${i}`, messageId: `t-${RUN_ID}-${i}`, text: `ttft probe ${i} ${RUN_ID}` },
      });
      const viaBare = await sendAndRead(`http://127.0.0.1:${PORTS.bare}/bare/chat`, {
        index: i,
        timeoutMs: 30_000,
        headers: {},
        body: { text: `ttft probe ${i} ${RUN_ID}` },
      });
      if (i < TTFT_WARM_UP) continue;
      if (viaStampede.firstTextAt) stampedeTimes.push(viaStampede.firstTextAt - viaStampede.postAt);
      if (viaBare.firstTextAt) bareTimes.push(viaBare.firstTextAt - viaBare.postAt);
    }
    const stampede = distribution(stampedeTimes);
    const bareDistribution = distribution(bareTimes);
    return {
      samples: count,
      stampede,
      bare: bareDistribution,
      overheadP50Ms: stampede.p50 === null || bareDistribution.p50 === null ? null : stampede.p50 - bareDistribution.p50,
      overheadP95Ms: stampede.p95 === null || bareDistribution.p95 === null ? null : stampede.p95 - bareDistribution.p95,
    };
  } finally {
    await server.stop();
    await bare.stop();
    await double.child.stop();
  }
}

interface StreamsRun {
  streams: number;
  completed: number;
  errors: Record<string, number>;
  /** Most reply streams open at the same moment, from the users' own timings. */
  maxOpenAtOnce: number;
  /** Most model calls the provider double had in flight at once. */
  providerMaxInFlight: number;
  /** From the POST leaving the user to its first text token. */
  timeToFirstTokenMs: Distribution;
  /** Connections the server's accept queue dropped, sent again (sendAndRead). */
  connectRetries: number;
  idleRssBytes: number;
  peakRssBytes: number;
  secondsPerStream: number;
}

/** Many reply streams open at once on one instance, every one of them streaming tokens. */
async function runStreams(stores: Stores, sessions: Session[]): Promise<StreamsRun> {
  const count = Math.min(settings.openStreams, sessions.length);
  const tokens = 50;
  const tokenDelayMs = Math.round((settings.streamSeconds * 1000) / tokens);
  const double = await startDouble("double-slow", { latencyMs: 0, tokenDelayMs, tokensPerReply: tokens });
  const server = await startStampede(
    stampedeEnv(stores, double.url, { LLM_RPM: "1000000", LLM_MAX_CONCURRENCY: String(Math.max(count, 1)) }),
  );
  const rss = sampleRss(server.process.pid!);
  const idleRssBytes = rss.read().lastBytes;
  try {
    log(`streams: ${count} replies streaming at once for ~${settings.streamSeconds} s each`);
    const outcomes = await burst(count, 2000, (index) =>
      sendAndRead(`${ORIGIN}/api/chat`, {
        index,
        timeoutMs: STREAM_TIMEOUT_MS,
        headers: { cookie: sessions[index].cookie, origin: ORIGIN, "x-forwarded-for": sessions[index].ip },
        body: { chatId: `open-${RUN_ID}-${index}`, messageId: `o-${RUN_ID}-${index}`, text: `long answer please ${index} ${RUN_ID}` },
      }),
    );
    const provider = await doubleStats(double.base);
    const errors: Record<string, number> = {};
    for (const outcome of outcomes.filter((o) => !o.completed)) {
      const key =
        outcome.status === 200
          ? (outcome.errorCode ?? "stream-error")
          : outcome.status === 0
            ? `no response: ${outcome.streamError ?? "unknown"}`
            : `${outcome.status} ${outcome.errorCode ?? ""}`.trim();
      errors[key] = (errors[key] ?? 0) + 1;
    }
    return {
      streams: count,
      completed: outcomes.filter((outcome) => outcome.completed).length,
      errors,
      maxOpenAtOnce: maxOverlap(outcomes),
      timeToFirstTokenMs: distribution(outcomes.flatMap((outcome) => (outcome.firstTextAt ? [outcome.firstTextAt - outcome.postAt] : []))),
      connectRetries: outcomes.reduce((sum, outcome) => sum + outcome.connectRetries, 0),
      providerMaxInFlight: provider.maxInFlight,
      idleRssBytes,
      peakRssBytes: rss.stop().peakBytes,
      secondsPerStream: settings.streamSeconds,
    };
  } finally {
    rss.stop();
    await server.stop();
    await double.child.stop();
  }
}

/**
 * Redis commands per reply, through the TCP driver and through Upstash's REST client (against a
 * local server speaking Upstash's protocol to the same Redis). Needs Redis: skipped when embedded.
 */
async function runCommands(stores: Stores): Promise<RedisCommandsRun[]> {
  if (!stores.redis) {
    log("commands: skipped (no Redis; the in-process hot store sends no commands)");
    return [];
  }
  const double = await startProviderDouble({ latencyMs: 0, tokenDelayMs: settings.tokenDelayMs });
  const rest = await startUpstashRestServer(PORTS.upstashRest, { redisUrl: stores.redis.url, token: `bench-${RUN_ID}` });
  const metricsToken = `bench-metrics-${RUN_ID}`;
  const runs: RedisCommandsRun[] = [];
  try {
    for (const driver of ["redis", "upstash"] as const) {
      const env = stampedeEnv(stores, double.url, {
        LLM_RPM: "1000000",
        METRICS_TOKEN: metricsToken,
        // Flushes are batched across chats: counted apart, not in a reply.
        FLUSH_INTERVAL: "3600",
      });
      if (driver === "upstash") {
        delete env.REDIS_URL;
        Object.assign(env, { UPSTASH_REDIS_REST_URL: rest.url, UPSTASH_REDIS_REST_TOKEN: rest.token });
      }
      log(`commands: replies of ${REPLY_LENGTHS.join(", ")} tokens through ${driver === "upstash" ? "Upstash's REST client" : "Redis over TCP"}`);
      const server = await startStampede(env);
      try {
        runs.push(
          await measureReplyCommands({
            driver,
            origin: ORIGIN,
            metricsToken,
            setReplyTokens: (tokens) => double.setOptions({ tokensPerReply: tokens }),
            log,
          }),
        );
      } finally {
        await server.stop();
      }
    }
  } finally {
    await rest.close();
    await double.close();
  }
  return runs;
}

function maxOverlap(outcomes: UserOutcome[]): number {
  const events = outcomes.flatMap((outcome) => [
    { at: outcome.postAt, delta: 1 },
    { at: outcome.finishedAt ?? outcome.postAt, delta: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let max = 0;
  for (const event of events) {
    open += event.delta;
    max = Math.max(max, open);
  }
  return max;
}

// --- report -------------------------------------------------------------------------------

function machine() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((load) => Number(load.toFixed(2))),
    date: new Date().toISOString(),
  };
}

function errorsText(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length === 0 ? "none" : entries.map(([kind, count]) => `${count} × ${kind}`).join(", ");
}

function percent(value: number | null): string {
  return value === null ? "n/a" : `${Math.round(value * 100)}%`;
}

interface Results {
  machine: ReturnType<typeof machine>;
  settings: typeof settings & { capPerMinute: number };
  drivers: string;
  buildSeconds: number | null;
  stampede?: BurstRun;
  /** The same stampede with the reply jobs on an Inngest dev server. */
  inngest?: BurstRun;
  naive?: BurstRun;
  ttft?: TtftRun;
  streams?: StreamsRun;
  behaviours?: BehaviourFigures[];
  commands?: RedisCommandsRun[];
  totalSeconds: number;
}

/** The burst table's rows: how each run's figure reads, and the naive ÷ Stampede ratio where it means something. */
const BURST_ROWS: { name: string; cell: (run: BurstRun) => string; ratio?: (a: BurstRun, b: BurstRun) => string }[] = [
  {
    name: "Replies completed",
    cell: ({ figures }) => `${figures.repliesCompleted} / ${figures.users}`,
    ratio: (a, b) => ratio(b.figures.repliesCompleted, a.figures.repliesCompleted),
  },
  {
    name: "User-visible errors",
    cell: ({ figures }) => `${figures.userVisibleErrors} (${errorsText(figures.errorsByStatus)})`,
    ratio: (a, b) => ratio(b.figures.userVisibleErrors, a.figures.userVisibleErrors),
  },
  { name: "429s the provider sent", cell: ({ figures }) => String(figures.provider429s), ratio: (a, b) => ratio(b.figures.provider429s, a.figures.provider429s) },
  {
    name: "Provider requests",
    cell: ({ figures }) => String(figures.providerRequests),
    ratio: (a, b) => ratio(b.figures.providerRequests, a.figures.providerRequests),
  },
  {
    name: "Provider utilisation while a backlog existed",
    cell: ({ figures }) => `${percent(figures.utilisation)} over ${figures.backlogSeconds?.toFixed(0) ?? "n/a"} s`,
  },
  {
    name: "Queue wait p50 / p95 / max",
    cell: ({ figures }) => formatDistribution(figures.queueWaitMs),
    ratio: (a, b) => ratio(b.figures.queueWaitMs.p50, a.figures.queueWaitMs.p50),
  },
  {
    name: "Time to first token after the queue p50 / p95 / max",
    cell: ({ figures }) => formatDistribution(figures.ttftAfterQueueMs),
    ratio: (a, b) => ratio(b.figures.ttftAfterQueueMs.p50, a.figures.ttftAfterQueueMs.p50),
  },
  { name: "Time to first token, all in, p50 / p95 / max", cell: ({ figures }) => formatDistribution(figures.timeToFirstTokenMs) },
  {
    name: "Last reply finished after",
    cell: ({ figures }) => `${figures.wallSeconds.toFixed(0)} s`,
    ratio: (a, b) => ratio(b.figures.wallSeconds, a.figures.wallSeconds),
  },
  {
    name: "Server peak RSS (process tree)",
    cell: (run) => formatBytes(run.peakRssBytes),
    ratio: (a, b) => ratio(b.peakRssBytes, a.peakRssBytes),
  },
  {
    name: "Postgres commits (xact_commit, reads included)",
    cell: ({ database }) => String(database.commits ?? "n/a"),
    ratio: (a, b) => ratio(b.database.commits, a.database.commits),
  },
  {
    name: "Transactions that wrote the history",
    cell: ({ database }) => String(database.historyWriteTransactions),
    ratio: (a, b) => ratio(b.database.historyWriteTransactions, a.database.historyWriteTransactions),
  },
  { name: "Rows written (chat + message)", cell: ({ database }) => `${database.chatRows} + ${database.messageRows}` },
];

function renderMarkdown(results: Results): string {
  const { stampede, naive, ttft, streams, behaviours, machine: m } = results;
  const sections: string[] = [];
  sections.push(
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; ${m.date.slice(0, 10)}; ` +
      `load average at the start ${m.loadAverageAtStart[0]} (1 min), ${m.loadAverageAtStart[1]} (5 min). ` +
      `Drivers: ${results.drivers}. Build ${results.buildSeconds === null ? "skipped" : `${Math.round(results.buildSeconds)} s`}, whole run ${Math.round(results.totalSeconds)} s.`,
  );
  const s = results.settings;
  sections.push(
    `Burst: ${s.users} guest users (each its own session and X-Forwarded-For) send one message each within ${s.spreadMs / 1000} s. ` +
      `Provider double: ${s.rpm} requests per ${s.windowMs / 1000} s (LLM_RPM=${s.capPerMinute}), ${s.latencyMs} ms to first token, ` +
      `${s.tokensPerReply} tokens ${s.tokenDelayMs} ms apart; LLM_MAX_CONCURRENCY=${s.maxConcurrency}, FLUSH_INTERVAL=${s.flushIntervalSeconds}.`,
  );
  const burstRuns = [
    stampede && { label: "Stampede", run: stampede },
    results.inngest && { label: "Stampede, jobs on Inngest (dev server)", run: results.inngest },
    naive && { label: "Naive (direct call, INSERT per message)", run: naive },
  ].filter((column) => column !== undefined);
  if (burstRuns.length > 0) {
    // The naive server against Stampede's own runner, when both ran.
    const compared = stampede && naive ? { a: stampede, b: naive } : undefined;
    const rows = BURST_ROWS.map(({ name, cell, ratio: rowRatio }) => [
      name,
      ...burstRuns.map(({ run }) => cell(run)),
      ...(compared ? [rowRatio ? rowRatio(compared.a, compared.b) : "—"] : []),
    ]);
    sections.push(markdownTable(["", ...burstRuns.map(({ label }) => label), ...(compared ? ["Naive ÷ Stampede"] : [])], rows));
    sections.push(
      "Queue wait: from the POST leaving the user to the arrival, at the provider, of the attempt that answered (the double stamps its arrival time into the reply). " +
        "Time to first token after the queue: from that arrival to the first text token at the user (provider latency plus the relay). " +
        "Utilisation: requests the provider admitted ÷ (its cap × the time from the first POST to the last admission). " +
        "Commits count every transaction in the server's database during the burst and the final flush, the session lookups included; " +
        "the naive server has no sessions, so its commits are its INSERTs. History transactions are the distinct writers (xmin) of the chat and message rows." +
        (results.inngest
          ? " With jobs on Inngest the same build runs with INNGEST_DEV=1 against `inngest dev` 1.12.1 (INNGEST_CHECKPOINTING=0), on its own database and key prefix; its RSS is the app's alone, not the Inngest server's."
          : ""),
    );
  }
  if (ttft) {
    sections.push(
      markdownTable(
        ["Instant provider, one request at a time", "p50", "p95"],
        [
          ["Stampede: POST /api/chat → first token", formatMs(ttft.stampede.p50), formatMs(ttft.stampede.p95)],
          ["Bare route: streamText → first token", formatMs(ttft.bare.p50), formatMs(ttft.bare.p95)],
          ["Stampede's overhead", formatMs(ttft.overheadP50Ms), formatMs(ttft.overheadP95Ms)],
        ],
      ) + `\n\n${ttft.samples} samples each, after ${TTFT_WARM_UP} warm-up requests (both servers start fresh for this phase).`,
    );
  }
  if (streams) {
    sections.push(
      markdownTable(
        ["Open reply streams on one instance", ""],
        [
          ["Streams started / completed", `${streams.streams} / ${streams.completed}${streams.completed < streams.streams ? ` (${errorsText(streams.errors)})` : ""}`],
          ["Most open at the same moment", String(streams.maxOpenAtOnce)],
          ["Model calls in flight at once (provider)", String(streams.providerMaxInFlight)],
          ["Time to first token p50 / p95 / max", formatDistribution(streams.timeToFirstTokenMs)],
          ["Connections the server did not accept in 10 s, sent again", String(streams.connectRetries)],
          ["Server RSS idle → peak", `${formatBytes(streams.idleRssBytes)} → ${formatBytes(streams.peakRssBytes)}`],
        ],
      ) +
        `\n\nEach stream lasts about ${streams.secondsPerStream} s (50 tokens); LLM_MAX_CONCURRENCY=${streams.streams}, no provider cap. ` +
        "A connection the server has not accepted after 10 s (its accept queue full while it is busy) is made again with the same message, as a browser keeps trying.",
    );
  }
  if (results.commands?.length) sections.push(renderRedisCommands(results.commands, settings.tokenDelayMs));
  if (behaviours) sections.push(renderBehaviours(behaviours, results.settings.behaviourUsers, errorsText));
  return sections.join("\n\n");
}

function updateReadme(markdown: string): void {
  const file = path.join(ROOT, "README.md");
  const readme = readFileSync(file, "utf8");
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from === -1 || to === -1) {
    log("README has no bench markers; not updated");
    return;
  }
  writeFileSync(file, `${readme.slice(0, from + start.length)}\n${markdown}\n${readme.slice(to)}`);
  log("README benchmark block updated");
}

// --- main ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = now();
  const m = machine();
  log(`machine: ${m.cores} cores, ${m.memoryGiB} GiB, node ${m.node}, load ${m.loadAverageAtStart.join(" ")}`);

  let buildSeconds: number | null = null;
  if (!flags["skip-build"] || !existsSync(path.join(ROOT, ".next", "BUILD_ID"))) {
    log(`building the app in ${ROOT} (next build)`);
    const buildStarted = now();
    execFileSync(BIN.node, [BIN.next, "build"], { cwd: ROOT, stdio: "inherit", env: { ...baseEnv(), NODE_ENV: "production" } });
    buildSeconds = (now() - buildStarted) / 1000;
  }

  const stores = await prepareStores();
  log(`drivers: ${stores.describe}`);
  const results: Results = {
    machine: m,
    settings: { ...settings, capPerMinute },
    drivers:
      (stores.kind === "services" ? "PostgreSQL + Redis (scratch database and key prefix), in-process runner" : "embedded (PGlite, in-process hot store and runner)") +
      (stores.inngest ? "; the stampede again with jobs on an Inngest dev server" : ""),
    buildSeconds,
    totalSeconds: 0,
  };
  const cleanup = () => void disposeStores(stores).finally(() => process.exit(130));
  process.once("SIGINT", cleanup);
  try {
    let sessions: Session[] = [];
    if (phases.has("stampede") || phases.has("ttft") || phases.has("streams")) {
      if (phases.has("stampede")) {
        const stampede = await runStampede(stores);
        results.stampede = stampede.run;
        sessions = stampede.sessions;
      } else {
        const server = await startStampede(stampedeEnv(stores, "http://127.0.0.1:9/v1", {}));
        sessions = await mapPool(Array.from({ length: Math.max(settings.openStreams, settings.ttftSamples + TTFT_WARM_UP) }, (_, i) => i), 16, (i) =>
          signInGuest(ORIGIN, ORIGIN, i),
        );
        await server.stop();
      }
    }
    if (stores.inngest) results.inngest = await runOnInngest(stores.inngest);
    if (phases.has("baseline")) results.naive = await runBaseline(stores);
    if (phases.has("ttft")) results.ttft = await runTtft(stores, sessions);
    if (phases.has("streams")) results.streams = await runStreams(stores, sessions);
    if (phases.has("commands")) results.commands = await runCommands(stores);
    if (phases.has("behaviours")) {
      results.behaviours = await runProviderBehaviours({
        behaviours,
        users: settings.behaviourUsers,
        spreadMs: settings.spreadMs,
        phaseMs: settings.behaviourPhaseMs,
        reply: doubleShape(),
        startDouble: (name, behaviour) => startDouble(name, { ...doubleShape(), ...behaviour, stamp: true }),
        doubleStats,
        resetDouble,
        // Embedded, each server's hot store is its own and starts empty.
        untilFlushed: async () => (stores.redis ? waitForFinalFlush(stores, settings.flushIntervalSeconds) : undefined),
        startStampede: (modelUrl, env) => startStampede(stampedeEnv(stores, modelUrl, env)),
        signIn: (count, offset) => mapPool(Array.from({ length: count }, (_, i) => offset + i), 16, (i) => signInGuest(ORIGIN, ORIGIN, i)),
        send: sendMessage,
        direct: {
          start: (modelUrl) => startNaive(PORTS.bare, modelUrl, null),
          send: (index) =>
            sendAndRead(`http://127.0.0.1:${PORTS.bare}/bare/chat`, {
              index,
              timeoutMs: STREAM_TIMEOUT_MS,
              headers: {},
              body: { text: userText(index) },
            }),
        },
        burst,
        log,
      });
    }
  } finally {
    await disposeStores(stores);
  }
  results.totalSeconds = (now() - started) / 1000;

  const markdown = renderMarkdown(results);
  const outDir = path.resolve(ROOT, flags.out!);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(outDir, "latest.md"), `# Stampede benchmark\n\n${markdown}\n`);
  console.log(`\n${markdown}\n`);
  log(`results: ${path.relative(ROOT, outDir)}/latest.json and latest.md`);
  if (flags["update-readme"]) updateReadme(markdown);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
