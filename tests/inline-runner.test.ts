/**
 * The in-process runner's queue policies, driven with small fake handlers: per-user order, the
 * global cap, starts within the provider's capacity (corrected by what it answers), line order by
 * plan without starvation, retries that honour Retry-After,
 * the fallback model, abandoning, duplicates and shutdown; and the cap, the pace and per-user order
 * held across two runners sharing one hot store, as instances sharing Redis do. Timings are
 * checked with lower bounds and generous tolerances only, so a loaded machine slows the tests down
 * without failing them.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { RetryableReplyError } from "@/lib/jobs/job-runner";
import type { ReplyJob, Tier } from "@/lib/domain";
import { MemoryHotStore } from "@/lib/hot/memory-hot-store";
import { InlineJobRunner, type InlineRunnerOptions } from "@/lib/jobs/inline-runner";
import type { ReplyAttempt } from "@/lib/jobs/job-runner";
import { currentPace, poolStartDelayMs, providerCapacity, startDelayMs, type ProviderCapacity } from "@/lib/jobs/provider-capacity";
import type { FallbackPolicy } from "@/lib/jobs/reply-policy";
import { freshCapacity } from "@/lib/hot/capacity-state";

interface Call extends ReplyAttempt {
  replyId: string;
  userId: string;
  startedAt: number;
  endedAt?: number;
  failed?: boolean;
}

type Work = (job: ReplyJob, attempt: ReplyAttempt) => Promise<void>;

let sequence = 0;
function replyJob(userId: string, overrides: Partial<ReplyJob> & { tier?: Tier } = {}): ReplyJob {
  sequence += 1;
  return {
    replyId: `reply-${sequence}`,
    chatId: `chat-${userId}`,
    userId,
    tier: "free",
    modelId: "main",
    userMessageId: `message-${sequence}`,
    enqueuedAt: Date.now(),
    ...overrides,
  };
}

const runners: InlineJobRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.close()));
});

/**
 * A runner over fake handlers that record every attempt; `work` decides how an attempt goes,
 * `flush` how a flush does.
 */
function harness(options: Partial<InlineRunnerOptions>, work: Work = () => sleep(10), flush: () => Promise<void> = async () => {}) {
  const calls: Call[] = [];
  const succeeded = new Set<string>();
  const abandoned: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const runner = new InlineJobRunner(
    {
      async reply(job, attempt) {
        const call: Call = { replyId: job.replyId, userId: job.userId, ...attempt, startedAt: performance.now() };
        calls.push(call);
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        try {
          await work(job, attempt);
          succeeded.add(job.replyId);
        } catch (error) {
          call.failed = true;
          throw error;
        } finally {
          running -= 1;
          call.endedAt = performance.now();
        }
      },
      async abandonReply(job) {
        abandoned.push(job.replyId);
      },
      replyCancelled: async () => {},
      title: async () => {},
      flush,
      purgeIdleGuests: async () => {},
    },
    {
      limits: new MemoryHotStore(),
      flushIntervalMs: 3_600_000,
      maxConcurrency: 4,
      retries: 3,
      retryMinDelayMs: 5,
      retryMaxDelayMs: 40,
      ...options,
    },
  );
  runners.push(runner);
  return {
    runner,
    calls,
    abandoned,
    maxRunning: () => maxRunning,
    /** Resolves once every given reply succeeded or was abandoned. */
    async settled(jobs: ReplyJob[], timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!jobs.every((job) => succeeded.has(job.replyId) || abandoned.includes(job.replyId))) {
        if (Date.now() > deadline) throw new Error(`replies still pending after ${timeoutMs} ms`);
        await sleep(5);
      }
    },
    startOrder: () => calls.map((call) => call.replyId),
  };
}

/** A fallback policy: every plan's chain is `chain`, with a short wait budget unless told. */
function chainOf(chain: string[], { afterFailures = 2, waitMs = 10_000 } = {}): FallbackPolicy {
  return {
    chains: { guest: chain, free: chain, pro: chain, admin: chain },
    afterFailures,
    waitMs: { guest: waitMs, free: waitMs, pro: waitMs, admin: waitMs },
  };
}

async function enqueueAll(runner: InlineJobRunner, jobs: ReplyJob[]): Promise<void> {
  for (const job of jobs) await runner.enqueueReply(job);
}

/** A gate a fake reply waits on, so the queue behind it fills up first. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("the in-process runner", () => {
  it("runs a user's replies one at a time, in the order asked, and loses none that wait", async () => {
    const { runner, calls, settled } = harness({ maxConcurrency: 4 }, () => sleep(5 + Math.random() * 20));
    const first = [replyJob("ann"), replyJob("ann"), replyJob("bob"), replyJob("ann"), replyJob("bob"), replyJob("ann")];
    await enqueueAll(runner, first);
    await settled(first);
    // A reply asked for after the user's lane emptied still runs.
    const later = replyJob("ann");
    await runner.enqueueReply(later);
    await settled([later]);

    for (const user of ["ann", "bob"]) {
      const mine = calls.filter((call) => call.userId === user);
      const asked = [...first, later].filter((job) => job.userId === user).map((job) => job.replyId);
      expect(mine.map((call) => call.replyId)).toEqual(asked);
      for (let index = 1; index < mine.length; index += 1) {
        expect(mine[index].startedAt).toBeGreaterThanOrEqual(mine[index - 1].endedAt!);
      }
    }
    // The cap allowed overlap, so the serialisation above came from the per-user lanes.
    const ann = calls.filter((call) => call.userId === "ann");
    const bob = calls.filter((call) => call.userId === "bob");
    expect(bob.some((b) => ann.some((a) => a.startedAt < b.endedAt! && b.startedAt < a.endedAt!))).toBe(true);
  });

  it("never has more than maxConcurrency replies generating at once", async () => {
    const { runner, maxRunning, settled } = harness({ maxConcurrency: 3 }, () => sleep(30));
    const jobs = Array.from({ length: 12 }, (_, index) => replyJob(`user-${index}`));
    await enqueueAll(runner, jobs);
    await settled(jobs);
    expect(maxRunning()).toBe(3);
  });

  /** One bucket for every model, allowing `limit` starts per `windowMs` until the provider says otherwise. */
  const capacity = (limit: number, windowMs: number): ProviderCapacity => ({
    limit: { limit, windowMs },
    keys: 1,
    bucketFor: () => "provider:main:key",
  });

  it("starts a burst the provider has room for at once, and the rest when its window ends", async () => {
    const { runner, calls, settled } = harness({ maxConcurrency: 10, capacity: capacity(5, 400) }, async () => {});
    const jobs = Array.from({ length: 10 }, (_, index) => replyJob(`user-${index}`));
    await enqueueAll(runner, jobs);
    await settled(jobs);

    const starts = calls.map((call) => call.startedAt).sort((a, b) => a - b);
    // The sixth waits for the window to end; the first five did not wait for each other.
    expect(starts[5] - starts[0]).toBeGreaterThanOrEqual(300);
    expect(starts[4] - starts[0]).toBeLessThan(starts[5] - starts[4]);
  });

  it("follows the provider's headers past the configured limit, and holds every start back after a 429 until its Retry-After", async () => {
    let refusals = 0;
    const { runner, calls, settled } = harness({ maxConcurrency: 20, capacity: capacity(2, 60_000) }, async (job, attempt) => {
      if (job.userId === "refused" && refusals === 0) {
        refusals += 1;
        attempt.onProviderSignal?.({ refused: true, retryAfterMs: 300 });
        throw new RetryableReplyError("429", 300);
      }
      // The provider allows 20 a minute, not the 2 configured.
      attempt.onProviderSignal?.({ refused: false, headroom: { limit: 20, remaining: 19, resetMs: 60_000 } });
      await sleep(20);
    });
    const first = replyJob("first");
    await enqueueAll(runner, [first]);
    await settled([first]);
    // Ten more start at once on what the provider said, though the configuration allowed one more.
    const jobs = Array.from({ length: 10 }, (_, index) => replyJob(`user-${index}`));
    await enqueueAll(runner, jobs);
    await settled(jobs);
    expect(calls).toHaveLength(11);

    const refused = replyJob("refused");
    await enqueueAll(runner, [refused]);
    await expect.poll(() => refusals).toBe(1);
    const refusedAt = performance.now();
    const after = replyJob("after");
    await enqueueAll(runner, [after]);
    await settled([refused, after]);
    const started = (replyId: string) => calls.filter((call) => call.replyId === replyId).map((call) => call.startedAt);
    expect(started(after.replyId)[0] - refusedAt).toBeGreaterThanOrEqual(200);
    expect(started(refused.replyId)).toHaveLength(2);
  });

  it("reads LLM_RPM over the provider's window, and tells the pace it follows: the configured one, then the provider's", async () => {
    const llm = { rpm: 600, tokensPerReply: 1000, limitWindowMs: 10_000, tpmByModel: {} };
    const configured = providerCapacity({ llm, model: { driver: "openai-compatible", apiKeys: ["sk-test"] } });
    expect(configured.limit).toEqual({ limit: 100, windowMs: 10_000 });
    expect(configured.bucketFor("main")).not.toContain("sk-test");
    expect(configured.tokenLimit?.("main")).toBeUndefined();
    // A token cap gets token buckets of its own, per model when LLM_TPM_BY_MODEL names it; the
    // wait estimate's pace is lowered by it: 60 000 tokens a minute at 1 000 a reply is 60 a minute.
    const tokenCapped = providerCapacity({ llm: { ...llm, tpm: 60_000, tpmByModel: { large: 6_000 } }, model: { driver: "openai", apiKeys: [] } });
    expect(tokenCapped.limit.limit).toBe(100);
    expect(tokenCapped.tokenLimit?.("main")).toEqual({ limit: 10_000, windowMs: 10_000 });
    expect(tokenCapped.tokenLimit?.("large")).toEqual({ limit: 1_000, windowMs: 10_000 });
    expect(await currentPace(new MemoryHotStore(), tokenCapped, "main")).toBe(60);

    const store = new MemoryHotStore();
    expect(await currentPace(store, configured, "main")).toBe(600);
    const { seq } = await store.takeCapacity(configured.bucketFor("main"), configured.limit);
    await store.reportCapacity(configured.bucketFor("main"), { seq, refused: false, headroom: { limit: 150, remaining: 149, resetMs: 10_000 } }, configured.limit);
    expect(await currentPace(store, configured, "main")).toBe(900);
  });

  it("tells how long a start further down the line waits as the books stand: the room left now, a window's worth at each window's end, none before a Retry-After", () => {
    const configured = { limit: 10, windowMs: 10_000 };
    const now = 1_000_000;
    // Nothing taken yet: a window's worth at once, the next window's after it.
    expect(startDelayMs(null, configured, 9, now)).toBe(0);
    expect(startDelayMs(null, configured, 10, now)).toBe(10_000);
    // Refusals cut the limit to 4, 3 of them taken; the window ends in 2 s.
    const books = { ...freshCapacity(configured), limit: 4, used: 3, resetAt: now + 2_000 };
    expect(startDelayMs(books, configured, 0, now)).toBe(0);
    expect([1, 4, 5, 9].map((ahead) => startDelayMs(books, configured, ahead, now))).toEqual([2_000, 2_000, 12_000, 22_000]);
    // A Retry-After holds back even the room left.
    expect(startDelayMs({ ...books, blockedUntil: now + 5_000 }, configured, 0, now)).toBe(5_000);
    // A window that has ended opens whole at the next start.
    expect(startDelayMs({ ...books, resetAt: now - 1 }, configured, 3, now)).toBe(0);
  });

  it("tells the same over a key pool from every key's books, each start going to the key whose next start comes first", () => {
    const configured = { limit: 10, windowMs: 10_000 };
    const now = 1_000_000;
    // One key spent until its window ends in 2 s, the other untouched.
    const spent = { ...freshCapacity(configured), used: 10, resetAt: now + 2_000 };
    const delays = (books: Parameters<typeof poolStartDelayMs>[0], aheads: number[]) => aheads.map((ahead) => poolStartDelayMs(books, configured, ahead, now));
    expect(delays([spent, null], [0, 9, 10, 19, 20, 29, 30, 39, 40])).toEqual([0, 0, 2_000, 2_000, 10_000, 10_000, 12_000, 12_000, 20_000]);
    // A key held back by a Retry-After adds its room left only once it has passed.
    const held = { ...freshCapacity(configured), used: 6, resetAt: now + 8_000, blockedUntil: now + 5_000 };
    expect(delays([held, spent], [0, 3, 4, 13, 14])).toEqual([2_000, 2_000, 2_000, 5_000, 8_000]);
    // A pool of one is the bucket alone.
    expect(delays([spent], [0, 10])).toEqual([2_000, 12_000]);
  });

  it("gives each window's starts in line order when more replies hold a model-call lease than a window allows", async () => {
    const { runner, startOrder, settled } = harness({ maxConcurrency: 10, capacity: capacity(1, 300) }, async () => {});
    const now = Date.now();
    const first = replyJob("first", { enqueuedAt: now });
    await enqueueAll(runner, [first]);
    await settled([first]);
    // The window's one start is spent: these all wait for the next windows, the pro reply first.
    const guests = [1, 2, 3].map((index) => replyJob(`guest-${index}`, { tier: "guest", enqueuedAt: now + index }));
    const pro = replyJob("pro", { tier: "pro", enqueuedAt: now + 10 });
    await enqueueAll(runner, [...guests, pro]);
    await settled([...guests, pro]);
    expect(startOrder()).toEqual([first, pro, ...guests].map((job) => job.replyId));
  });

  it("shares the cap and the capacity with another runner on the same hot store, as instances on one Redis do", async () => {
    const limits = new MemoryHotStore();
    let running = 0;
    let maxRunning = 0;
    const work = async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await sleep(50);
      running -= 1;
    };
    const options = { limits, maxConcurrency: 3, capacity: capacity(4, 400) };
    const one = harness(options, work);
    const other = harness(options, work);
    const jobs = Array.from({ length: 12 }, (_, index) => replyJob(`user-${index}`));
    await Promise.all([enqueueAll(one.runner, jobs.slice(0, 6)), enqueueAll(other.runner, jobs.slice(6))]);
    await one.settled(jobs.slice(0, 6));
    await other.settled(jobs.slice(6));

    expect(maxRunning).toBe(3);
    // Four starts per window between them: the fifth and the tenth each wait for a window's end
    // (the ninth may be the one start that probes, in the second window, whether the provider's
    // windows begin on the clock's, which no answer here confirms).
    const starts = [...one.calls, ...other.calls].map((call) => call.startedAt).sort((a, b) => a - b);
    expect(starts[4] - starts[0]).toBeGreaterThanOrEqual(300);
    expect(starts[9] - starts[4]).toBeGreaterThanOrEqual(300);
  });

  it("keeps a user's replies one at a time, in the order asked, when they reach two runners on the same hot store", async () => {
    const limits = new MemoryHotStore();
    const options = { limits, maxConcurrency: 8 };
    const one = harness(options, () => sleep(100));
    const other = harness(options, () => sleep(100));
    const now = Date.now();
    const [first, second, third] = [0, 1, 2].map((index) => replyJob("ann", { enqueuedAt: now + index }));
    await one.runner.enqueueReply(first);
    await expect.poll(() => one.calls.length).toBe(1);
    // While the first runs, the third reaches the other runner before the second reaches this one.
    await other.runner.enqueueReply(third);
    await one.runner.enqueueReply(second);
    await one.settled([first, second]);
    await other.settled([third]);

    const calls = [...one.calls, ...other.calls].sort((a, b) => a.startedAt - b.startedAt);
    expect(calls.map((call) => call.replyId)).toEqual([first, second, third].map((job) => job.replyId));
    for (let index = 1; index < calls.length; index += 1) {
      expect(calls[index].startedAt).toBeGreaterThanOrEqual(calls[index - 1].endedAt!);
    }
  });

  it("asks the hot store often only for the replies at the front of its line, however many wait", async () => {
    const store = new MemoryHotStore();
    let asked = 0;
    const limits: InlineRunnerOptions["limits"] = {
      acquireLease: (...args) => {
        asked += 1;
        return store.acquireLease(...args);
      },
      renewLeases: (...args) => store.renewLeases(...args),
      releaseLease: (...args) => store.releaseLease(...args),
      takeCapacity: (...args) => store.takeCapacity(...args),
      reportCapacity: (...args) => store.reportCapacity(...args),
      readCapacity: (...args) => store.readCapacity(...args),
      returnCapacity: (...args) => store.returnCapacity(...args),
    };
    const blocker = gate();
    const leasePollMs = 50;
    const { runner, calls, settled } = harness({ limits, maxConcurrency: 2, leasePollMs }, () => blocker.opened);
    const jobs = Array.from({ length: 200 }, (_, index) => replyJob(`user-${index}`));
    await enqueueAll(runner, jobs);
    // Two run; every other reply has asked once and waits.
    await expect.poll(() => ({ running: calls.length, asked })).toEqual({ running: 2, asked: 200 + 200 });
    const before = asked;
    const windowMs = 20 * leasePollMs;
    await sleep(windowMs);
    // The two front waiters ask every poll; the 196 behind them only keep their places alive
    // (every third of the lease TTL, 10 s). Were every waiter to poll, 198 × 20 asks.
    expect(asked - before).toBeLessThan(10 * (windowMs / leasePollMs));
    blocker.open();
    await settled(jobs, 30_000);
  });

  it("starts a pro reply ahead of guest replies queued before it when the cap is saturated", async () => {
    const blocker = gate();
    const { runner, startOrder, settled } = harness({ maxConcurrency: 1 }, (job) =>
      job.userId === "first" ? blocker.opened : sleep(1),
    );
    const now = Date.now();
    const running = replyJob("first", { enqueuedAt: now });
    const guests = [1, 2, 3, 4].map((index) => replyJob(`guest-${index}`, { tier: "guest", enqueuedAt: now + index }));
    const pro = replyJob("pro", { tier: "pro", enqueuedAt: now + 10 });
    await enqueueAll(runner, [running, ...guests, pro]);
    await sleep(30);
    blocker.open();
    await settled([running, ...guests, pro]);
    expect(startOrder()).toEqual([running, pro, ...guests].map((job) => job.replyId));
  });

  it("lets a guest who waited longer than the head start go before a pro who just arrived", async () => {
    const blocker = gate();
    const { runner, startOrder, settled } = harness({ maxConcurrency: 1 }, (job) =>
      job.userId === "first" ? blocker.opened : sleep(1),
    );
    const now = Date.now();
    const running = replyJob("first", { enqueuedAt: now });
    const patientFree = replyJob("free", { tier: "free", enqueuedAt: now - 5_000 });
    const pro = replyJob("pro", { tier: "pro", enqueuedAt: now });
    const patientGuest = replyJob("guest", { tier: "guest", enqueuedAt: now - 25_000 });
    await enqueueAll(runner, [running, patientFree, pro, patientGuest]);
    await sleep(30);
    blocker.open();
    await settled([running, patientFree, pro, patientGuest]);
    // guest: now-25 s; pro: now-20 s; free: now-5 s-10 s = now-15 s.
    expect(startOrder()).toEqual([running, patientGuest, pro, patientFree].map((job) => job.replyId));
  });

  it("waits at least the provider's Retry-After before the next attempt", async () => {
    const { runner, calls, settled } = harness({ retryMinDelayMs: 5, retryMaxDelayMs: 10 }, async (job, { attempt }) => {
      if (attempt > 0) return;
      throw new RetryableReplyError("429", job.userId === "told-to-wait" ? 400 : undefined);
    });
    const told = replyJob("told-to-wait");
    const untold = replyJob("not-told");
    await enqueueAll(runner, [told, untold]);
    await settled([told, untold]);

    const pauseOf = (job: ReplyJob) => {
      const [failed, retried] = calls.filter((call) => call.replyId === job.replyId);
      expect([failed.failed, retried.failed]).toEqual([true, undefined]);
      return retried.startedAt - failed.endedAt!;
    };
    expect(pauseOf(told)).toBeGreaterThanOrEqual(390);
    // Without a Retry-After the backoff alone applies: far shorter.
    expect(pauseOf(untold)).toBeLessThan(300);
  });

  it("switches to the fallback model after N failed attempts", async () => {
    const { runner, calls, abandoned, settled } = harness(
      { retries: 4, fallback: chainOf(["backup"], { afterFailures: 2 }) },
      async (_job, { attempt }) => {
        if (attempt < 3) throw new RetryableReplyError("503");
      },
    );
    const job = replyJob("ann");
    await runner.enqueueReply(job);
    await settled([job]);
    expect(calls.map((call) => [call.attempt, call.modelId])).toEqual([
      [0, "main"],
      [1, "main"],
      [2, "backup"],
      [3, "backup"],
    ]);
    expect(abandoned).toEqual([]);
  });

  it("moves a reply down its plan's chain when a model has no start within the plan's wait budget, and says why", async () => {
    // One start per long window for every model: the first reply spends main's; the guest behind
    // it waits its 150 ms budget there, then starts at once on the next model of its chain.
    const perModel: ProviderCapacity = { limit: { limit: 1, windowMs: 60_000 }, keys: 1, bucketFor: (modelId) => `provider:${modelId}:key` };
    const { runner, calls, settled } = harness({ capacity: perModel, fallback: chainOf(["cheap", "cheaper"], { waitMs: 150 }) }, async () => {});
    const first = replyJob("first", { tier: "guest" });
    await enqueueAll(runner, [first]);
    await settled([first]);
    const [second, third] = [replyJob("second", { tier: "guest" }), replyJob("third", { tier: "guest" })];
    await enqueueAll(runner, [second]);
    await settled([second]);
    await enqueueAll(runner, [third]);
    await settled([third]);
    expect(calls.map((call) => [call.replyId, call.modelId, call.fallback])).toEqual([
      [first.replyId, "main", undefined],
      [second.replyId, "cheap", "no-headroom"],
      [third.replyId, "cheaper", "no-headroom"],
    ]);
  });

  it("spreads starts over a key pool by headroom, a window's worth per key at once", async () => {
    const pool: ProviderCapacity = { limit: { limit: 3, windowMs: 60_000 }, keys: 2, bucketFor: (modelId, key = 0) => `provider:${modelId}:key-${key}` };
    const { runner, calls } = harness({ maxConcurrency: 10, capacity: pool }, async () => {});
    const jobs = Array.from({ length: 8 }, (_, index) => replyJob(`user-${index}`));
    await enqueueAll(runner, jobs);
    // Two keys of three starts a window: six start, the other two wait for a window to end.
    await expect.poll(() => calls.length).toBe(6);
    await sleep(100);
    expect(calls).toHaveLength(6);
    expect(calls.filter((call) => call.key === 0)).toHaveLength(3);
    expect(calls.filter((call) => call.key === 1)).toHaveLength(3);
  });

  it("abandons a reply once its retries are used up, after exactly retries + 1 attempts", async () => {
    const { runner, calls, abandoned, settled } = harness({ retries: 2 }, async () => {
      throw new RetryableReplyError("503");
    });
    const job = replyJob("ann");
    await runner.enqueueReply(job);
    await settled([job]);
    expect(calls.map((call) => call.attempt)).toEqual([0, 1, 2]);
    expect(abandoned).toEqual([job.replyId]);
  });

  it("ignores a second enqueue of a reply id it already holds", async () => {
    const { runner, calls, settled } = harness({}, () => sleep(30));
    const job = replyJob("ann");
    await runner.enqueueReply(job);
    await runner.enqueueReply({ ...job });
    await sleep(5);
    await runner.enqueueReply({ ...job });
    await settled([job]);
    await sleep(20);
    expect(calls.map((call) => call.replyId)).toEqual([job.replyId]);
  });

  it("answers a flush requested during a flush only after a flush that began after the request", async () => {
    const firstFlushHeld = gate();
    let flushesStarted = 0;
    const { runner } = harness({}, undefined, async () => {
      flushesStarted += 1;
      if (flushesStarted === 1) await firstFlushHeld.opened;
    });
    const first = runner.requestFlush();
    await expect.poll(() => flushesStarted).toBe(1);
    // Asked while the first flush runs (it may have listed the chats already): both wait for a
    // second flush, and share it.
    const second = runner.requestFlush();
    const third = runner.requestFlush();
    firstFlushHeld.open();
    await first;
    await second;
    expect(flushesStarted).toBe(2);
    await third;
    expect(flushesStarted).toBe(2);
  });

  it("on close, lets running replies finish and drops waiting ones without abandoning them", async () => {
    const { runner, calls, abandoned } = harness({ maxConcurrency: 1 }, () => sleep(80));
    await enqueueAll(runner, [replyJob("ann"), replyJob("bob"), replyJob("cy")]);
    await sleep(10);
    await runner.close();
    expect(calls).toHaveLength(1);
    expect(calls[0].endedAt).toBeDefined();
    expect(abandoned).toEqual([]);
    await runner.enqueueReply(replyJob("dee"));
    await sleep(20);
    expect(calls).toHaveLength(1);
  });
});
