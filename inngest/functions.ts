/**
 * Inngest functions: thin orchestrators over the job handlers every runner calls (wired once in
 * lib/services.ts), which hold all the logic. Flow control lives here, in Inngest's terms, from the
 * same policies the in-process runner applies (lib/jobs/reply-policy.ts): Inngest's concurrency
 * (per user and global) and priority, and the provider's capacity buckets in the hot store
 * (lib/jobs/provider-capacity.ts), which learn the provider's limit from its answers as Inngest's
 * own throttle, a static figure, cannot.
 */
import { RetryAfterError, internalEvents } from "inngest";
import { getConfig } from "@/lib/config";
import { getServices } from "@/lib/services";
import { GUEST_PURGE_INTERVAL_MS } from "@/lib/jobs/create-job-runner";
import { RetryableReplyError, TokensNotFreeYet, type JobHandlers } from "@/lib/jobs/job-runner";
import type { ReplyJob } from "@/lib/domain";
import { providerCapacity, takeCallNow, takeStartNow } from "@/lib/jobs/provider-capacity";
import { logger } from "@/lib/log";
import { isQueuedReplyJob } from "@/lib/replies/reply-job-check";
import { chainPositionForAttempt, fallbackPolicy, headStartExpression, keyForAttempt, modelChain } from "@/lib/jobs/reply-policy";
import { flushRequested, inngest, replyRequested, replyStopped, titleRequested } from "./client";

const config = getConfig();
const capacity = providerCapacity(config);

/** What a generate step answers when the model's buckets had no start (or no room for its tokens) for it. */
interface WaitingForCapacity {
  status: "waiting-for-capacity";
  waitMs: number;
  /** When the step saw it (epoch ms): kept with the step's result, so every replay of the run agrees. */
  at: number;
}

function waitingForCapacity(waitMs: number): WaitingForCapacity {
  return { status: "waiting-for-capacity", waitMs, at: Date.now() };
}

function isWaitingForCapacity(outcome: unknown): outcome is WaitingForCapacity {
  return typeof outcome === "object" && outcome !== null && (outcome as { status?: unknown }).status === "waiting-for-capacity";
}

type InngestRetries = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17 | 18 | 19 | 20;

/** Inngest accepts at most 20 retries. */
function inngestRetries(configured: number): InngestRetries {
  return Math.min(20, Math.max(0, Math.floor(configured))) as InngestRetries;
}

/**
 * A provider's Retry-After becomes Inngest's; any other failure is retried on Inngest's backoff.
 * Given as a moment, not a number: the SDK rounds a number to whole seconds and the server adds
 * them to the current second truncated, so a retry could come up to a second before the provider
 * allows it (and collect another 429). A date keeps its milliseconds.
 */
function forInngest(error: unknown): unknown {
  if (error instanceof RetryableReplyError && error.retryAfterMs !== undefined) {
    return new RetryAfterError(error.message, new Date(Date.now() + error.retryAfterMs), { cause: error });
  }
  return error;
}

/**
 * Runs `work` only for a reply the app itself queued: an event is not trusted to name a chat, user
 * or model (lib/replies/reply-job-check.ts).
 */
async function ifQueued(job: ReplyJob, work: (handlers: JobHandlers, job: ReplyJob) => Promise<unknown>) {
  const services = await getServices();
  return (await isQueuedReplyJob(services, job)) ? work(services.handlers, job) : { status: "refused" };
}

export const replyFunction = inngest.createFunction(
  {
    id: "generate-reply",
    triggers: [replyRequested],
    concurrency: [
      // One reply at a time per user, and a global cap on model calls in flight.
      { key: "event.data.userId", limit: 1 },
      { limit: config.llm.maxConcurrency },
    ],
    // The plan's head start in seconds, as in the place-in-line score.
    priority: { run: headStartExpression("event.data.tier") },
    retries: inngestRetries(config.llm.maxRetries),
    // A stop cancels the run, so a stopped reply waiting for its turn gives its throttle and
    // concurrency places back; the cancelled handler below ends it as stopped for its readers.
    cancelOn: [{ event: replyStopped, if: "async.data.replyId == event.data.replyId" }],
    // Runs once the retries are used up: the reader gets an error instead of a spinner.
    onFailure: async ({ event, step }) => {
      return step.run("abandon", async () => ifQueued(event.data.event.data, (handlers, job) => handlers.abandonReply(job)));
    },
  },
  async ({ event, step, attempt }) => {
    const policy = fallbackPolicy(config);
    const chain = modelChain(event.data, policy);
    // Failed attempts move the reply down its plan's chain (LLM_FALLBACK_AFTER each); a model with
    // no start for it within the plan's wait budget moves it one further, as in process.
    const afterFailures = chainPositionForAttempt(attempt, chain.length, policy);
    let position = afterFailures;
    let waitingSince: number | undefined;
    // Each try takes a start from the model's buckets (one per key), and its tokens, in the step
    // that calls the model (so a retried step takes new ones, and gives back what it held); when
    // there is none, the run sleeps until there may be, holding no concurrency place meanwhile,
    // and tries again in a step of its own.
    for (let round = 0; ; round += 1) {
      const modelId = chain[position];
      const fallback = position > afterFailures ? ("no-headroom" as const) : undefined;
      const outcome = await step.run(round === 0 ? "generate" : `generate-after-wait-${round}`, async () => {
        const services = await getServices();
        if (!(await isQueuedReplyJob(services, event.data))) return { status: "refused" };
        const firstKey = keyForAttempt(event.data.replyId, attempt, services.models.keys);
        const start = await takeCallNow(services.hot, capacity, { modelId, firstKey }, (error, context) =>
          logger.error({ err: error, context }, "background job failed"),
        );
        if (!start.granted) return waitingForCapacity(start.waitMs);
        try {
          return await services.handlers.reply(event.data, { attempt, modelId, ...(fallback && { fallback }), ...start.call.attempt });
        } catch (error) {
          if (!(error instanceof TokensNotFreeYet)) throw forInngest(error);
          // The call never reached the provider: its start goes back for another reply.
          await start.call.returnStart();
          return waitingForCapacity(error.waitMs);
        } finally {
          // A step that failed before the reply settled its tokens hands them back before Inngest retries it.
          await start.call.returnUnsettledTokens();
        }
      });
      if (!isWaitingForCapacity(outcome)) return outcome;
      waitingSince ??= outcome.at;
      const giveUpAt = position === chain.length - 1 ? Infinity : waitingSince + policy.waitMs[event.data.tier];
      if (outcome.at + outcome.waitMs < giveUpAt) {
        await step.sleep(`wait-for-capacity-${round}`, Math.max(1, outcome.waitMs));
        continue;
      }
      // No start on this model before the budget runs out, as its books stand: the reply waits out
      // the budget, as in process, and then moves to the next model without asking this one again.
      if (giveUpAt > outcome.at) await step.sleep(`wait-for-capacity-${round}`, giveUpAt - outcome.at);
      position += 1;
      waitingSince = undefined;
    }
  },
);

/**
 * A reply run cancelled on the Inngest server (by a stop through `cancelOn`, from its dashboard or
 * API, or by a deploy that removed it) ends without running onFailure, which only follows
 * failures: this ends its reply, so the reader sees it stopped, or an error, instead of a spinner.
 */
export const replyCancelledFunction = inngest.createFunction(
  {
    id: "generate-reply-cancelled",
    triggers: [{ event: internalEvents.FunctionCancelled, if: `event.data.function_id == '${replyFunction.id(inngest.id)}'` }],
  },
  async ({ event, step }) => {
    const job = replyRequested.schema.parse(event.data.event.data);
    return step.run("end", async () => ifQueued(job, (handlers, queued) => handlers.replyCancelled(queued)));
  },
);

/**
 * A chat's title (lib/titles/write-title.ts), after its first reply: one at a time, at the lowest
 * priority Inngest has, never retried. The handler first gives way to a backlog (any reply in
 * line, or every model-call place taken) or a busy instance, and only then takes its call's start
 * from the model's capacity bucket, if one is free now (a skipped title is not worth a sleep).
 */
export const titleFunction = inngest.createFunction(
  {
    id: "write-title",
    triggers: [titleRequested],
    concurrency: [{ limit: 1 }],
    priority: { run: "-600" },
    retries: 0,
  },
  async ({ event, step }) =>
    step.run("title", async () => {
      const services = await getServices();
      const key = keyForAttempt(event.data.chatId, 0, services.models.keys);
      const takeStart = () =>
        takeStartNow(services.hot, capacity, { modelId: event.data.modelId, key }, (error, context) => logger.error({ err: error, context }, "background job failed"));
      return { status: await services.handlers.title(event.data, takeStart) };
    }),
);

export const flushFunction = inngest.createFunction(
  {
    id: "flush-history",
    triggers: [{ cron: `*/${Math.max(1, Math.round(config.chat.flushIntervalSeconds / 60))} * * * *` }, flushRequested],
    singleton: { mode: "skip" },
  },
  async ({ step }) => {
    return step.run("flush", async () => (await getServices()).handlers.flush());
  },
);

/** Idle guests with their data (lib/auth/purge-idle-guests.ts), at the in-process runner's pace. */
export const purgeGuestsFunction = inngest.createFunction(
  {
    id: "purge-idle-guests",
    triggers: [{ cron: `0 */${GUEST_PURGE_INTERVAL_MS / (60 * 60 * 1000)} * * *` }],
    singleton: { mode: "skip" },
  },
  async ({ step }) =>
    step.run("purge", async () => (await getServices()).handlers.purgeIdleGuests()),
);

export const functions = [replyFunction, replyCancelledFunction, titleFunction, flushFunction, purgeGuestsFunction];
