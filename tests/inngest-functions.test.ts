/**
 * The Inngest side without an Inngest server: the reply function run in process by
 * @inngest/test against real PostgreSQL, Redis and the provider double, and the flow-control
 * configuration Inngest would receive, read from the serve route's in-band sync.
 */
import { InngestTestEngine, mockCtx } from "@inngest/test";
import { RetryAfterError } from "inngest";
import type { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import type { ReplyJob, Tier } from "@/lib/domain";
import { capacityHeadroom } from "@/lib/hot/capacity-state";
import { providerCapacity, tokenBucket } from "@/lib/jobs/provider-capacity";
import type { JobRunner } from "@/lib/jobs/job-runner";
import type { Services } from "@/lib/services";
import { predictableTitle } from "@/lib/ai/title-instruction";
import { echoReply, startProviderDouble, type ProviderDouble } from "@/lib/testing/provider-double";
import { createScratchDir, createScratchPostgres, createScratchRedisPrefix, uniqueSuffix } from "./support/scratch";

type Modules = {
  functions: typeof import("@/inngest/functions");
  route: typeof import("@/app/api/inngest/route");
  chat: typeof import("@/lib/chat/send-message");
  replyState: typeof import("@/lib/replies/reply-state");
  history: typeof import("@/lib/history/history");
  stream: typeof import("@/lib/replies/reply-stream");
  metrics: typeof import("@/lib/replies/reply-metrics");
  hotKeys: typeof import("@/lib/hot/hot-keys");
  support: typeof import("./support/app-services");
};

/** The fallback model's tokens per minute: room for many calls' holds (the free plan's is its prompt and 2,000). */
const LARGE_TPM = 100_000;

let modules: Modules;
let services: Services;
let provider: ProviderDouble;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const database = await createScratchPostgres();
  const redis = createScratchRedisPrefix();
  const dataDir = await createScratchDir();
  provider = await startProviderDouble({ tokensPerReply: 6 });
  cleanups.push(() => provider.close(), redis.clear, database.drop, dataDir.remove);
  // The app reads its configuration once, when the first module that needs it loads (the Inngest
  // client does at import), so it is set before anything of the app is imported. The values are
  // unusual on purpose: the sync below must show these, not defaults.
  Object.assign(process.env, {
    INNGEST_DEV: "1",
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    OPENAI_BASE_URL: provider.url,
    CHAT_MODELS: "double-small,double-large",
    FALLBACK_MODEL: "double-large",
    LLM_FALLBACK_AFTER: "2",
    LLM_MAX_CONCURRENCY: "7",
    LLM_MAX_RETRIES: "5",
    LLM_RPM: "90",
    // The fallback model's calls hold their tokens too (tokens per minute, the default window).
    LLM_TPM_BY_MODEL: `double-large=${LARGE_TPM}`,
    FLUSH_INTERVAL: "120",
    DATA_DIR: dataDir.dir,
    BETTER_AUTH_SECRET: "inngest-test-secret-inngest-test-secret-01",
    LOG_LEVEL: "silent",
  });
  const { getServices } = await import("@/lib/services");
  services = await getServices();
  await services.db.migrate();
  modules = {
    functions: await import("@/inngest/functions"),
    route: await import("@/app/api/inngest/route"),
    chat: await import("@/lib/chat/send-message"),
    replyState: await import("@/lib/replies/reply-state"),
    history: await import("@/lib/history/history"),
    stream: await import("@/lib/replies/reply-stream"),
    metrics: await import("@/lib/replies/reply-metrics"),
    hotKeys: await import("@/lib/hot/hot-keys"),
    support: await import("./support/app-services"),
  };
});

afterAll(async () => {
  const { closeServices } = await import("@/lib/services");
  if (services) await closeServices(services);
  for (const cleanup of cleanups) await cleanup();
});

/** Stops the runner was asked for, by reply id (the events that would cancel their runs). */
const stopsSent: string[] = [];

/** A job runner that captures what the app would send to Inngest instead of sending it. */
function capturingRunner(jobs: ReplyJob[]): JobRunner {
  return {
    driver: "inngest",
    enqueueReply: async (job) => void jobs.push(job),
    enqueueTitle: async () => {},
    replyStopped: async (replyId) => void stopsSent.push(replyId),
    requestFlush: async () => {},
    close: async () => {},
  };
}

/** Accepts a message the way the app does, capturing the reply job instead of sending it to Inngest. */
async function queueMessage(text: string, { tier = "free", modelId }: { tier?: Tier; modelId?: string } = {}): Promise<ReplyJob> {
  const jobs: ReplyJob[] = [];
  const capture = capturingRunner(jobs);
  const userId = `user_${uniqueSuffix()}`;
  await modules.chat.submitChatRequest(
    { ...services, jobs: capture },
    { userId, tier },
    { kind: "send", chatId: `c_${uniqueSuffix()}`, messageId: `m_${uniqueSuffix()}`, text, modelId },
  );
  return jobs[0];
}

/** Takes every start left in the bucket's window, as another instance would; answers the last one's seq. */
async function spendWindow(bucket: string): Promise<number> {
  const { limit } = providerCapacity(services.config);
  let lastSeq = 0;
  for (let grant = await services.hot.takeCapacity(bucket, limit); grant.granted; grant = await services.hot.takeCapacity(bucket, limit)) {
    lastSeq = grant.seq;
  }
  return lastSeq;
}

/** The provider's answer that makes a spent bucket whole again (as after its window's end). */
async function windowWhole(bucket: string, seq: number): Promise<void> {
  const capacity = providerCapacity(services.config);
  await services.hot.reportCapacity(bucket, { seq, refused: false, headroom: { limit: 90, remaining: 90, resetMs: 60_000 } }, capacity.limit);
}

/** An engine whose step.sleep records each sleep and runs `onSleep` instead of waiting (Inngest would resume the run after it). */
function sleepingEngine(sleeps: { id: string; duration: number }[], onSleep: () => Promise<unknown> = async () => {}) {
  return new InngestTestEngine({
    function: modules.functions.replyFunction,
    transformCtx: (raw) => {
      const ctx = mockCtx(raw);
      ctx.step.sleep = (async (id: string, duration: number) => {
        sleeps.push({ id, duration });
        // A run that sleeps over and over is waiting for something that never comes.
        if (sleeps.length > 10) throw new Error("the run keeps sleeping");
        await onSleep();
      }) as typeof ctx.step.sleep;
      return ctx;
    },
  });
}

function replyEvent(job: ReplyJob) {
  return { name: "chat/reply.requested", data: { ...job } };
}

async function readReply(job: ReplyJob) {
  const response = await modules.stream.replyStreamResponse(services.hot, { replyId: job.replyId, userId: job.userId, config: services.config });
  return modules.support.readUIMessageStream(response);
}

async function storedReply(job: ReplyJob) {
  const { messages } = await modules.history.getChatMessages(services, { chatId: job.chatId, userId: job.userId });
  return messages.find((message) => message.id === job.replyId);
}

describe("the reply function, run by @inngest/test", () => {
  it("keeps every field of a reply job in its event's schema, the sender's spending budget and instructions included", async () => {
    const { replyRequested } = await import("@/inngest/client");
    // Not queued: a reply left waiting would be a backlog, which the title test below must not meet.
    const job: ReplyJob = {
      replyId: `r_${uniqueSuffix()}`,
      chatId: `c_${uniqueSuffix()}`,
      userId: `user_${uniqueSuffix()}`,
      tier: "pro",
      modelId: "double-small",
      userMessageId: `m_${uniqueSuffix()}`,
      enqueuedAt: Date.now(),
      network: "203.0.113.9",
      instructions: "Be brief.",
      budget: { dailyMicros: 500_000, monthlyMicros: 9_000_000 },
    };
    expect(await replyRequested.schema["~standard"].validate(replyEvent(job).data)).toEqual({ value: job });
  });

  it("generates the reply in a step and returns its status", async () => {
    const job = await queueMessage("hello from inngest");
    const engine = new InngestTestEngine({ function: modules.functions.replyFunction });
    const { result, ctx } = await engine.execute({ events: [replyEvent(job)] });

    expect(result).toEqual({ status: "finished" });
    expect(ctx.step.run).toHaveBeenCalledWith("generate", expect.any(Function));
    const chunks = await readReply(job);
    expect(modules.support.textOf(chunks)).toBe(echoReply("hello from inngest", 6));
    expect(chunks.at(-1)).toMatchObject({ type: "finish" });
    expect((await storedReply(job))?.model).toBe("double-small");
  });

  it("turns a 429 before the first token into a RetryAfterError with the provider's wait, leaving the relay empty", async () => {
    const job = await queueMessage("rate limited");
    // The engine serialises step errors; this keeps the error the step really threw.
    const thrown: unknown[] = [];
    const engine = new InngestTestEngine({
      function: modules.functions.replyFunction,
      transformCtx: (raw) => {
        const ctx = mockCtx(raw);
        const run = ctx.step.run;
        ctx.step.run = ((id: string, work: () => Promise<unknown>) =>
          run(id, () =>
            work().catch((error: unknown) => {
              thrown.push(error);
              throw error;
            }),
          )) as typeof run;
        return ctx;
      },
    });
    provider.setOptions({ rateLimitFailureRate: 1 });
    const before = Date.now();
    try {
      const { step, error } = await engine.executeStep("generate", { events: [replyEvent(job)] });
      // StepError, not StepFailed: Inngest will run the step again.
      expect(step.op).toBe("StepError");
      expect(error).toMatchObject({ name: "RetryAfterError", cause: { name: "RetryableReplyError" } });
    } finally {
      provider.setOptions({ rateLimitFailureRate: 0 });
    }
    expect(thrown).toHaveLength(1);
    expect(thrown[0]).toBeInstanceOf(RetryAfterError);
    // The double asks for 1 s (retry-after-ms: 1000): the retry's moment, to the millisecond.
    const retryAt = Date.parse((thrown[0] as RetryAfterError).retryAfter);
    expect(retryAt).toBeGreaterThanOrEqual(before + 1000);
    expect(retryAt).toBeLessThanOrEqual(Date.now() + 1000);

    expect(await services.hot.readRelay(job.replyId, 0)).toEqual([]);
    expect(await modules.replyState.readReplyState(services.hot, job.replyId)).toMatchObject({ status: "queued" });
    expect(await services.hot.placeInLine(modules.hotKeys.hotKeys.replyLine, job.replyId)).not.toBeNull();

    // The retry Inngest would make, once the Retry-After has passed (the bucket holds starts back until then), answers in full.
    await sleep(retryAt - Date.now());
    const retry = new InngestTestEngine({ function: modules.functions.replyFunction });
    const { result } = await retry.execute({ events: [replyEvent(job)] });
    expect(result).toEqual({ status: "finished" });
    expect(modules.support.textOf(await readReply(job))).toBe(echoReply("rate limited", 6));
  });

  it("sleeps as a step while the last model of its chain has no start left, holding no slot, then generates", async () => {
    // double-large is the last (the only) model of this reply's chain: it waits however long it takes.
    const job = await queueMessage("no room yet", { modelId: "double-large" });
    const bucket = providerCapacity(services.config).bucketFor("double-large");
    // Another instance spent the window: LLM_RPM 90 is 90 starts per minute.
    const lastSeq = await spendWindow(bucket);
    const sleeps: { id: string; duration: number }[] = [];
    // Meanwhile the provider says its window is whole again.
    const engine = sleepingEngine(sleeps, () => windowWhole(bucket, lastSeq));
    const { result, ctx } = await engine.execute({ events: [replyEvent(job)] });

    expect(result).toEqual({ status: "finished" });
    // One sleep (the engine runs the handler again after each step, calling the mock again).
    expect(new Set(sleeps.map((slept) => slept.id))).toEqual(new Set(["wait-for-capacity-0"]));
    // Until the bucket's window ends: most of a minute.
    expect(sleeps[0].duration).toBeGreaterThan(50_000);
    expect(sleeps[0].duration).toBeLessThanOrEqual(60_000);
    expect(ctx.step.run).toHaveBeenCalledWith("generate", expect.any(Function));
    expect(ctx.step.run).toHaveBeenCalledWith("generate-after-wait-1", expect.any(Function));
    expect(modules.support.textOf(await readReply(job))).toBe(echoReply("no room yet", 6));
    const stored = await storedReply(job);
    expect(stored?.model).toBe("double-large");
    expect(stored?.route?.fallback).toBeUndefined();
    // The bucket counted the start it granted.
    expect(await services.hot.readCapacity(bucket)).toMatchObject({ seq: lastSeq + 1 });
  });

  it("moves a guest's reply to the next model of its chain when its model has no start within 10 s, recording no-headroom", async () => {
    const job = await queueMessage("no headroom for guests", { tier: "guest" });
    const bucket = providerCapacity(services.config).bucketFor("double-small");
    const lastSeq = await spendWindow(bucket);
    const sleeps: { id: string; duration: number }[] = [];
    try {
      const { result } = await sleepingEngine(sleeps).execute({ events: [replyEvent(job)] });
      expect(result).toEqual({ status: "finished" });
    } finally {
      await windowWhole(bucket, lastSeq);
    }
    // The bucket's window ends in most of a minute: the guest waits its plan's budget, not that.
    expect(new Set(sleeps.map((slept) => slept.id))).toEqual(new Set(["wait-for-capacity-0"]));
    expect(sleeps[0].duration).toBeGreaterThan(9_000);
    expect(sleeps[0].duration).toBeLessThanOrEqual(10_000);
    expect(modules.support.textOf(await readReply(job))).toBe(echoReply("no headroom for guests", 6));
    expect(await storedReply(job)).toMatchObject({ model: "double-large", route: { fallback: "no-headroom" } });
  });

  it("holds the call's most tokens in the model's token bucket and settles them with the usage the provider reported", async () => {
    const job = await queueMessage("tokens held and settled", { modelId: "double-large" });
    const tokens = tokenBucket(providerCapacity(services.config).bucketFor("double-large"));
    const before = await services.hot.readCapacity(tokens);
    const usedBefore = provider.stats();
    let heldDuringCall: Promise<number | undefined> | undefined;
    provider.setOptions({
      reply: ({ messages }) => {
        heldDuringCall = services.hot.readCapacity(tokens).then((books) => books?.used);
        return echoReply(messages.findLast((message) => message.role === "user")?.content ?? "", 6);
      },
    });
    try {
      const { result } = await new InngestTestEngine({ function: modules.functions.replyFunction }).execute({ events: [replyEvent(job)] });
      expect(result).toEqual({ status: "finished" });
    } finally {
      provider.setOptions({ reply: undefined });
    }
    const usedAfter = provider.stats();
    const callTokens = usedAfter.promptTokens - usedBefore.promptTokens + usedAfter.completionTokens - usedBefore.completionTokens;
    // While the call ran it held its prompt's estimate and the free plan's output cap.
    expect((await heldDuringCall)! - (before?.used ?? 0)).toBeGreaterThan(2000);
    // Settled: what the books count now is what the call used.
    const after = await services.hot.readCapacity(tokens);
    expect(after!.used - (before?.used ?? 0)).toBe(callTokens);
  });

  it("gives a token hold back whole when the provider refuses the call before its first token, so Inngest's retry of the step holds it afresh", async () => {
    const job = await queueMessage("refused with tokens held", { modelId: "double-large" });
    const tokens = tokenBucket(providerCapacity(services.config).bucketFor("double-large"));
    const before = await services.hot.readCapacity(tokens);
    provider.setOptions({ rateLimitFailureRate: 1 });
    try {
      const { step } = await new InngestTestEngine({ function: modules.functions.replyFunction }).executeStep("generate", { events: [replyEvent(job)] });
      expect(step.op).toBe("StepError");
    } finally {
      provider.setOptions({ rateLimitFailureRate: 0 });
    }
    const after = await services.hot.readCapacity(tokens);
    // A hold was taken (the books' seq counts every token taken) and none of it is still counted.
    expect(after!.seq).toBeGreaterThan(before?.seq ?? 0);
    expect(after!.used).toBe(before?.used ?? 0);
    // The retry Inngest makes once the refusal's Retry-After (1 s) has passed holds the tokens afresh, and answers.
    await sleep(Math.max(0, after!.blockedUntil - Date.now()));
    const { result } = await new InngestTestEngine({ function: modules.functions.replyFunction }).execute({ events: [replyEvent(job)] });
    expect(result).toEqual({ status: "finished" });
    expect((await services.hot.readCapacity(tokens))!.seq).toBeGreaterThan(after!.seq);
  });

  it("sleeps as a step while the token bucket has no room for the call, back in line and holding no start, then generates", async () => {
    const job = await queueMessage("no room for tokens yet", { modelId: "double-large" });
    const capacity = providerCapacity(services.config);
    const bucket = capacity.bucketFor("double-large");
    const tokens = tokenBucket(bucket);
    const tokenLimit = capacity.tokenLimit!("double-large")!;
    // Another instance's calls hold the rest of the window's tokens.
    const rest = capacityHeadroom(await services.hot.readCapacity(tokens), tokenLimit, Date.now());
    const taken = await services.hot.takeCapacity(tokens, tokenLimit, rest);
    expect(taken.granted).toBe(true);
    const startsBefore = await services.hot.readCapacity(bucket);
    const sleeps: { id: string; duration: number }[] = [];
    const whileAsleep: unknown[] = [];
    const engine = sleepingEngine(sleeps, async () => {
      whileAsleep.push({
        starts: (await services.hot.readCapacity(bucket))?.used,
        place: await services.hot.placeInLine(modules.hotKeys.hotKeys.replyLine, job.replyId),
        state: (await modules.replyState.readReplyState(services.hot, job.replyId))?.status,
      });
      // Their calls end and give their tokens back.
      await services.hot.returnCapacity(tokens, { seq: taken.seq, amount: rest }, tokenLimit);
    });
    const { result } = await engine.execute({ events: [replyEvent(job)] });

    expect(result).toEqual({ status: "finished" });
    expect(new Set(sleeps.map((slept) => slept.id))).toEqual(new Set(["wait-for-capacity-0"]));
    expect(sleeps[0].duration).toBeGreaterThan(50_000);
    // While it slept: its start given back, its place in line shown again.
    expect(whileAsleep[0]).toEqual({ starts: startsBefore?.used ?? 0, place: expect.any(Number), state: "queued" });
    expect(modules.support.textOf(await readReply(job))).toBe(echoReply("no room for tokens yet", 6));
  });

  it("answers on the fallback model from the configured attempt on", async () => {
    const job = await queueMessage("third try");
    const engine = new InngestTestEngine({
      function: modules.functions.replyFunction,
      transformCtx: (ctx) => ({ ...mockCtx(ctx), attempt: 2 }),
    });
    const { result } = await engine.execute({ events: [replyEvent(job)] });
    expect(result).toEqual({ status: "finished" });
    expect((await storedReply(job))?.model).toBe("double-large");
  });

  it("gives up visibly in onFailure: an error and the end of the stream, and an error reply kept", async () => {
    const job = await queueMessage("never answered");
    const before = await modules.metrics.readReplyMetrics(services.hot);
    // @inngest/test 1.0 cannot pick the onFailure handler itself; this selects it as the serve
    // handler does for the "-failure" function id, so the real execution engine runs it.
    const replyFunction = modules.functions.replyFunction as unknown as {
      createExecution(options: { partialOptions: Record<string, unknown> }): unknown;
    };
    const failureHandler = Object.create(replyFunction, {
      createExecution: {
        value: (options: { partialOptions: Record<string, unknown> }) =>
          replyFunction.createExecution({ partialOptions: { ...options.partialOptions, handlerKind: "failure" } }),
      },
    });
    const engine = new InngestTestEngine({ function: failureHandler });
    const failed = {
      name: "inngest/function.failed",
      data: {
        function_id: "stampede-generate-reply",
        run_id: "01TESTRUN",
        error: { name: "RetryAfterError", message: "Model double-small failed before its first token" },
        event: replyEvent(job),
      },
    };
    const { result } = await engine.execute({ events: [failed] });
    expect(result).toEqual({ status: "failed" });

    const chunks = await readReply(job);
    expect(chunks.map((chunk) => chunk.type)).toEqual(["start", "error", "finish"]);
    expect(chunks[1]).toMatchObject({ errorText: expect.stringContaining("could not answer") });
    expect(await storedReply(job)).toMatchObject({ role: "assistant", status: "error" });
    expect(await modules.replyState.readReplyState(services.hot, job.replyId)).toMatchObject({ status: "failed" });
    expect(await services.hot.placeInLine(modules.hotKeys.hotKeys.replyLine, job.replyId)).toBeNull();
    const after = await modules.metrics.readReplyMetrics(services.hot);
    expect(after["replies-failed"] - before["replies-failed"]).toBe(1);
  });
});

describe("the reply function when an attempt breaks off, run by @inngest/test", () => {
  /** Every text the reader gets, in order: a reply whose text appears twice would show it here. */
  async function relayedText(job: ReplyJob): Promise<string> {
    return modules.support.textOf(await readReply(job));
  }

  it("ends the reply as failed with the tokens it had when the provider's stream breaks after its first tokens, and a re-run adds nothing", async () => {
    const job = await queueMessage("cut me off");
    const full = echoReply("cut me off", 6);
    const engine = new InngestTestEngine({ function: modules.functions.replyFunction });
    provider.setOptions({ cutStreamAfterTokens: 2 });
    let first: Awaited<ReturnType<typeof engine.execute>>;
    try {
      first = await engine.execute({ events: [replyEvent(job)] });
    } finally {
      provider.setOptions({ cutStreamAfterTokens: undefined });
    }
    // Returned, not thrown: Inngest does not retry a reply whose text the reader already shows.
    expect(first.result).toEqual({ status: "failed" });
    const shown = await relayedText(job);
    expect(shown.length).toBeGreaterThan(0);
    expect(full.startsWith(shown)).toBe(true);
    expect(shown).not.toBe(full);
    expect(await storedReply(job)).toMatchObject({ status: "error", parts: expect.arrayContaining([expect.objectContaining({ text: shown })]) });

    // The step run again (a duplicate delivery, a retry after a lost answer): the reply is settled.
    const calls = provider.stats().requests;
    const again = await new InngestTestEngine({ function: modules.functions.replyFunction }).execute({ events: [replyEvent(job)] });
    expect(again.result).toEqual({ status: "failed" });
    expect(provider.stats().requests).toBe(calls);
    expect(await relayedText(job)).toBe(shown);
  });

  it("ends a reply as interrupted, with its text once, when the attempt that streamed it crashed and Inngest runs the step again", async () => {
    const job = await queueMessage("crash midway");
    // What a crashed attempt leaves: the reply streaming, two chunks of its text in the relay.
    const ttl = services.config.chat.hotHistoryTtlSeconds;
    const queued = await modules.replyState.readReplyState(services.hot, job.replyId);
    const running = await modules.replyState.moveReply(services.hot, queued!, "running", ttl);
    await modules.replyState.moveReply(services.hot, running, "streaming", ttl);
    const partial = [
      { type: "start", messageId: job.replyId },
      { type: "text-start", id: "t" },
      { type: "text-delta", id: "t", delta: "Half an " },
      { type: "text-delta", id: "t", delta: "answer" },
    ];
    await services.hot.appendRelay(job.replyId, partial.map((chunk) => JSON.stringify(chunk)), { writer: "crashed", seq: 0, ttlSeconds: ttl });

    const calls = provider.stats().requests;
    const { result } = await new InngestTestEngine({ function: modules.functions.replyFunction }).execute({ events: [replyEvent(job)] });
    expect(result).toEqual({ status: "interrupted" });
    expect(provider.stats().requests).toBe(calls);
    const chunks = await readReply(job);
    expect(modules.support.textOf(chunks)).toBe("Half an answer");
    expect(chunks.slice(-2).map((chunk) => chunk.type)).toEqual(["error", "finish"]);
    expect(await storedReply(job)).toMatchObject({ status: "interrupted", parts: [{ type: "text", text: "Half an answer" }] });
  });
});

describe("a stop while the reply waits for its turn", () => {
  it("asks Inngest to cancel the run, and the cancelled run's handler ends the reply as stopped without a model call", async () => {
    const jobs: ReplyJob[] = [];
    const userId = `user_${uniqueSuffix()}`;
    const chatId = `c_${uniqueSuffix()}`;
    const deps = { ...services, jobs: capturingRunner(jobs) };
    await modules.chat.submitChatRequest(deps, { userId, tier: "free" }, { kind: "send", chatId, messageId: `m_${uniqueSuffix()}`, text: "never mind" });
    const [job] = jobs;
    await modules.chat.stopReply(deps, { chatId, userId });
    expect(stopsSent).toContain(job.replyId);

    const calls = provider.stats().requests;
    const engine = new InngestTestEngine({ function: modules.functions.replyCancelledFunction });
    const cancelled = {
      name: "inngest/function.cancelled",
      data: { function_id: "stampede-generate-reply", run_id: "01TESTRUN", event: replyEvent(job) },
    };
    const { result } = await engine.execute({ events: [cancelled] });
    expect(result).toEqual({ status: "stopped" });
    expect(provider.stats().requests).toBe(calls);
    const chunks = await readReply(job);
    expect(chunks.map((chunk) => chunk.type)).toEqual(["abort"]);
    expect(await modules.replyState.readReplyState(services.hot, job.replyId)).toMatchObject({ status: "stopped" });
    expect(await services.hot.placeInLine(modules.hotKeys.hotKeys.replyLine, job.replyId)).toBeNull();
  });
});

describe("the title function, run by @inngest/test", () => {
  it("writes a chat's title with the model, on a start taken from the model's capacity bucket", async () => {
    const text = `a title through inngest ${uniqueSuffix()}`;
    const job = await queueMessage(text);
    await new InngestTestEngine({ function: modules.functions.replyFunction }).execute({ events: [replyEvent(job)] });
    const bucket = providerCapacity(services.config).bucketFor(job.modelId, 0);
    const startsBefore = (await services.hot.readCapacity(bucket))?.seq ?? 0;
    const { result } = await new InngestTestEngine({ function: modules.functions.titleFunction }).execute({
      events: [{ name: "chat/title.requested", data: { chatId: job.chatId, userId: job.userId, modelId: job.modelId, enqueuedAt: Date.now() } }],
    });
    expect(result).toEqual({ status: "written" });
    expect((await services.hot.readCapacity(bucket))?.seq).toBe(startsBefore + 1);
    const chat = await modules.history.findChatForUser(services, { chatId: job.chatId, userId: job.userId });
    expect(chat?.title).toBe(predictableTitle(text));
  });
});

describe("the flow-control configuration Inngest receives (in-band sync)", () => {
  interface SyncedFunction {
    id: string;
    triggers: { event?: string; cron?: string; expression?: string }[];
    concurrency?: unknown;
    throttle?: unknown;
    priority?: unknown;
    singleton?: unknown;
    cancel?: unknown;
    steps: Record<string, { retries?: { attempts: number } }>;
  }

  async function sync(): Promise<{ status: number; functions: SyncedFunction[] }> {
    const request = new Request("http://localhost:3000/api/inngest", {
      method: "PUT",
      headers: { "content-type": "application/json", "x-inngest-sync-kind": "in_band" },
      body: JSON.stringify({ url: "http://localhost:3000/api/inngest" }),
    });
    // Next passes a NextRequest; the serve handler reads only what a Request has.
    const response = await modules.route.PUT(request as NextRequest, undefined);
    const body = await response.json();
    return { status: response.status, functions: body.functions };
  }

  it("registers the reply function with its concurrency keys, priority and retries, and no static throttle", async () => {
    const { status, functions } = await sync();
    expect(status).toBe(200);
    const reply = functions.find((fn) => fn.id === "stampede-generate-reply");
    expect(reply).toBeDefined();
    expect(reply!.triggers).toEqual([{ event: "chat/reply.requested" }]);
    expect(reply!.concurrency).toEqual([{ key: "event.data.userId", limit: 1 }, { limit: 7 }]);
    // Starts come from the provider's capacity bucket, which learns from its answers, not from a fixed pace.
    expect(reply!.throttle).toBeUndefined();
    expect(reply!.priority).toEqual({
      run: "event.data.tier == 'admin' ? 20 : event.data.tier == 'pro' ? 20 : event.data.tier == 'free' ? 10 : 0",
    });
    expect(Object.values(reply!.steps)[0].retries).toEqual({ attempts: 5 });
    // A stop cancels the run whose reply it names.
    expect(reply!.cancel).toEqual([{ event: "chat/reply.stopped", if: "async.data.replyId == event.data.replyId" }]);

    const failure = functions.find((fn) => fn.id === "stampede-generate-reply-failure");
    expect(failure?.triggers).toEqual([
      { event: "inngest/function.failed", expression: "event.data.function_id == 'stampede-generate-reply'" },
    ]);
  });

  it("registers the title function one at a time, at the lowest priority, never retried", async () => {
    const { functions } = await sync();
    const title = functions.find((fn) => fn.id === "stampede-write-title");
    expect(title?.triggers).toEqual([{ event: "chat/title.requested" }]);
    expect(title?.concurrency).toEqual([{ limit: 1 }]);
    expect(title?.priority).toEqual({ run: "-600" });
    expect(Object.values(title!.steps)[0].retries).toEqual({ attempts: 0 });
  });

  it("registers the flush on its cron and on demand, one at a time", async () => {
    const { functions } = await sync();
    const flush = functions.find((fn) => fn.id === "stampede-flush-history");
    expect(flush?.triggers).toEqual([{ cron: "*/2 * * * *" }, { event: "chat/flush.requested" }]);
    expect(flush?.singleton).toEqual({ mode: "skip" });
    const purge = functions.find((fn) => fn.id === "stampede-purge-idle-guests");
    expect(purge?.triggers).toEqual([{ cron: "0 */6 * * *" }]);
  });
});
