/**
 * The process's services, built once from the configuration: database, hot store, job runner,
 * model provider and auth. Kept on globalThis because Next.js may load this module more than once
 * in one process (instrumentation and routes get separate copies), and there must be one of each.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createModelProvider, type ModelProvider } from "@/lib/ai/models";
import { createAuth, type Auth } from "@/lib/auth/auth";
import { purgeIdleGuests } from "@/lib/auth/purge-idle-guests";
import { flushHistory } from "@/lib/history/flush-history";
import { queueTitle, writeTitle } from "@/lib/titles/write-title";
import { abandonReply, endCancelledReply, generateReply, type GenerateReplyDeps } from "@/lib/replies/generate-reply";
import { recoverUnwatchedOrphans, RunnerPresence } from "@/lib/replies/reply-owners";
import { describeDrivers, getConfig, type AppConfig } from "@/lib/config";
import { createDatabase, type Database } from "@/lib/db/client";
import { BACKGROUND_ACTIVITY, withCommandActivity } from "@/lib/hot/command-count";
import { createHotStore } from "@/lib/hot/create-hot-store";
import type { HotStore } from "@/lib/hot/hot-store";
import { createJobRunner } from "@/lib/jobs/create-job-runner";
import type { JobHandlers, JobRunner } from "@/lib/jobs/job-runner";
import { createLimiter } from "@/lib/limits/create-limiter";
import type { Limiter } from "@/lib/limits/limiter";
import { logger } from "@/lib/log";
import { createMailer } from "@/lib/mail/create-mailer";
import { createObjectStore } from "@/lib/storage/create-object-store";
import type { ObjectStore } from "@/lib/storage/object-store";
import { watchEventLoop } from "@/lib/metrics/event-loop-load";

export interface Services {
  config: AppConfig;
  db: Database;
  hot: HotStore;
  jobs: JobRunner;
  models: ModelProvider;
  auth: Auth;
  limiter: Limiter;
  /** Object storage: where attachments' bytes live. */
  storage: ObjectStore;
  /** What the job runner runs, the same for both runners (Inngest's functions call these). */
  handlers: JobHandlers;
}

const GLOBAL_KEY = Symbol.for("stampede.services");
type GlobalWithServices = typeof globalThis & { [GLOBAL_KEY]?: Promise<Services> };

export function getServices(): Promise<Services> {
  const store = globalThis as GlobalWithServices;
  // Built outside the request that asked first: timers and heartbeats started here are
  // background work, not that request's, in the hot store's command counts.
  store[GLOBAL_KEY] ??= withCommandActivity(BACKGROUND_ACTIVITY, () => buildServices(getConfig())).catch((error) => {
    // Let the next request try again (e.g. the database was still starting).
    delete store[GLOBAL_KEY];
    throw error;
  });
  return store[GLOBAL_KEY];
}

/** The services if this process has started building them, without starting it (for the route wrapper's figures). */
export function currentServices(): Promise<Services> | undefined {
  return (globalThis as GlobalWithServices)[GLOBAL_KEY];
}

/** Builds a full set of services from a config; tests call this with their own config. */
export async function buildServices(config: AppConfig): Promise<Services> {
  logger.level = config.logLevel;
  // Title jobs read how busy this instance has been (lib/titles/write-title.ts).
  watchEventLoop();
  const db = await createDatabase(config.database);
  // The embedded database migrates itself so `npm run dev` needs no setup; Postgres is migrated
  // by `npm run db:migrate` as part of a deployment.
  if (config.database.driver === "pglite") await db.migrate();
  const hot = createHotStore(config.hot);
  const models = createModelProvider(config.model);
  const limiter = createLimiter(config);
  const storage = createObjectStore(config.storage);
  // Instances sharing a hot store watch each other's in-process runners (lib/replies/reply-owners.ts).
  const presence =
    config.jobs.driver === "inline" && config.hot.driver !== "memory"
      ? new RunnerPresence(hot, randomBytes(8).toString("hex"), config.chat.hotHistoryTtlSeconds)
      : undefined;
  // auth is made below, before the runner's first purge.
  const handlers = createJobHandlers(
    { config, db, hot, models, limiter, storage },
    { recoverOrphans: presence !== undefined, auth: () => auth, jobs: () => jobs },
  );
  const jobs = createJobRunner(config, handlers, hot, presence);
  const auth = createAuth({
    config,
    db,
    hot,
    mailer: createMailer(config.mail),
    storage,
    secret: config.auth.secret ?? (await embeddedAuthSecret(config.dataDir)),
    baseUrl: config.auth.baseUrl ?? `http://localhost:${config.port}`,
  });
  logger.debug({ drivers: describeDrivers(config) }, "services ready");
  return { config, db, hot, jobs, models, auth, limiter, storage, handlers };
}

/**
 * The one wiring of the jobs' work: the in-process runner is handed these, and the Inngest
 * functions call them from `getServices()`. `recoverOrphans`: in-process runners sharing a hot
 * store also sweep for the replies of dead instances. `jobs`: where a finished first reply queues
 * its chat's title job (unless CHAT_TITLES=first-line, or replies wait in line).
 */
export function createJobHandlers(
  deps: GenerateReplyDeps,
  { recoverOrphans, auth, jobs }: { recoverOrphans: boolean; auth: () => Auth; jobs: () => Pick<JobRunner, "enqueueTitle"> },
): JobHandlers {
  const { config, db, hot } = deps;
  return {
    reply: async (job, attempt) => {
      const { answered, ...outcome } = await generateReply(deps, job, attempt);
      if (answered?.firstTurn) {
        // The reply is done whatever becomes of its title.
        await queueTitle({ config, hot, jobs: jobs() }, { chatId: job.chatId, userId: job.userId, modelId: answered.modelId }).catch((error) =>
          logger.error({ err: error, chatId: job.chatId }, "title job not queued"),
        );
      }
      return outcome;
    },
    title: (job, takeStart) => writeTitle(deps, job, takeStart),
    abandonReply: (job) => abandonReply(deps, job),
    replyCancelled: (job) => endCancelledReply(deps, job),
    flush: () => flushHistory({ db, hot }),
    purgeIdleGuests: () => purgeIdleGuests({ db, auth: auth() }, { retentionDays: config.auth.guestRetentionDays }),
    ...(recoverOrphans && { recoverOrphans: (runner) => recoverUnwatchedOrphans({ config, hot, jobs: runner }) }),
  };
}

/** A zero-configuration start still needs a stable signing secret: made once, kept in the data folder. */
async function embeddedAuthSecret(dataDir: string): Promise<string> {
  const file = path.join(dataDir, "auth-secret");
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    await mkdir(dataDir, { recursive: true });
    const secret = randomBytes(32).toString("base64url");
    await writeFile(file, secret, { mode: 0o600, flag: "wx" }).catch(() => undefined);
    return (await readFile(file, "utf8")).trim();
  }
}

export async function closeServices(services: Services): Promise<void> {
  await services.jobs.close();
  await services.limiter.close();
  await services.hot.close();
  await services.db.close();
}
