/**
 * The provider's capacity as both job runners schedule it: one bucket of model-call starts per
 * provider, model and API key, kept in the hot store (HotStore.takeCapacity, with the books of
 * lib/hot/capacity-state.ts), so every instance, and Inngest's reply function, draws on the same
 * headroom. The configuration gives each bucket's first limit; the provider's answers correct it
 * (lib/replies/model-errors.ts reads them, the runners report them).
 *
 * Several keys for one provider (OPENAI_API_KEYS, …) are a pool: each key is an account of its
 * own to the provider, so each has its own buckets starting from the same configured limit, and
 * a model's pace is the sum of its keys' (lib/jobs/capacity-line.ts spreads the starts).
 */
import { apiKeyIds } from "@/lib/ai/api-key-ids";
import type { AppConfig } from "@/lib/config";
import { currentBooks } from "@/lib/hot/capacity-state";
import type { CapacityLimit, CapacityReport, CapacityState, HotStore } from "@/lib/hot/hot-store";
import { TokensNotFreeYet, type ProviderSignal, type ReplyAttempt, type TitleStart } from "./job-runner";

export interface ProviderCapacity {
  /** What a bucket allows until the provider says otherwise. */
  limit: CapacityLimit;
  /** The provider's keys in the pool, at least 1 (a keyless provider is one key). */
  keys: number;
  /** The bucket a model's calls through key number `key` (0 to keys - 1) count against. */
  bucketFor(modelId: string, key?: number): string;
  /**
   * What a model's token bucket (one per key, `tokenBucket`) allows per window until the provider
   * says otherwise: LLM_TPM_BY_MODEL's figure for it or LLM_TPM; undefined when neither is set.
   */
  tokenLimit?(modelId: string): CapacityLimit | undefined;
  /** LLM_TOKENS_PER_REPLY: what turns a token limit into a pace for the wait estimate. */
  tokensPerReply?: number;
}

/** A request bucket's token bucket: the same provider, model and key, counted in tokens. */
export const tokenBucket = (requestBucket: string) => `${requestBucket}:tokens`;

/**
 * LLM_RPM as starts per LLM_LIMIT_WINDOW_MS: the window the provider enforces over, whole (600 a
 * minute enforced as 100 per 10 s is 100 per window); and LLM_TPM (per model: LLM_TPM_BY_MODEL)
 * as tokens per the same window, in token buckets of their own.
 */
export function providerCapacity(config: CapacityConfig): ProviderCapacity {
  // Asked for by every wait estimate and overview read: the key digests are worked out once per
  // configuration, not on each of them.
  const built = builtCapacities.get(config.model);
  if (built?.llm === config.llm) return built.capacity;
  const capacity = describeCapacity(config);
  builtCapacities.set(config.model, { llm: config.llm, capacity });
  return capacity;
}

interface CapacityConfig {
  llm: Pick<AppConfig["llm"], "rpm" | "tpm" | "tpmByModel" | "tokensPerReply" | "limitWindowMs">;
  model: Pick<AppConfig["model"], "driver" | "apiKeys">;
}

const builtCapacities = new WeakMap<CapacityConfig["model"], { llm: CapacityConfig["llm"]; capacity: ProviderCapacity }>();

function describeCapacity({ llm, model }: CapacityConfig): ProviderCapacity {
  const windowMs = llm.limitWindowMs;
  const perWindow = (perMinute: number) => Math.max(1, Math.floor((perMinute * windowMs) / 60_000));
  // Keys are named by a digest: bucket names end up in hot-store keys and admin figures.
  const keyIds = apiKeyIds(model.apiKeys);
  return {
    limit: { limit: perWindow(llm.rpm), windowMs },
    keys: keyIds.length,
    bucketFor: (modelId, key = 0) => `${model.driver}:${modelId}:${keyIds[key] ?? keyIds[0]}`,
    tokenLimit: (modelId) => {
      const tpm = llm.tpmByModel[modelId] ?? llm.tpm;
      return tpm === undefined ? undefined : { limit: perWindow(tpm), windowMs };
    },
    tokensPerReply: llm.tokensPerReply,
  };
}

/** Every bucket of a model's calls, one per key of the pool, in key order. */
export function poolBuckets(capacity: Pick<ProviderCapacity, "keys" | "bucketFor">, modelId: string): string[] {
  return Array.from({ length: capacity.keys }, (_, key) => capacity.bucketFor(modelId, key));
}

/**
 * The pace the runner starts a model's calls at now, in starts per minute: its buckets' current
 * limits (the provider's, once it has said), one per key, added up over the window; lowered, when
 * the model has token buckets, to the replies of LLM_TOKENS_PER_REPLY their limits allow. What the
 * wait estimate divides by.
 */
export async function currentPace(store: Pick<HotStore, "readCapacity">, capacity: ProviderCapacity, modelId: string): Promise<number> {
  const perMinute = async (buckets: string[], configured: CapacityLimit) => {
    const states = await Promise.all(buckets.map((bucket) => store.readCapacity(bucket)));
    return (states.reduce((sum, state) => sum + currentBooks(state, configured).limit, 0) * 60_000) / configured.windowMs;
  };
  const buckets = poolBuckets(capacity, modelId);
  const tokenLimit = capacity.tokenLimit?.(modelId);
  const [starts, tokens] = await Promise.all([
    perMinute(buckets, capacity.limit),
    tokenLimit ? perMinute(buckets.map(tokenBucket), tokenLimit) : Infinity,
  ]);
  return Math.min(starts, tokens / (capacity.tokensPerReply ?? 1));
}

/** When a bucket's starts come, as its books stand: `left` after `blockedMs`, then `limit` at each window's end. */
function startSchedule(stored: CapacityState | null, config: CapacityLimit, now: number) {
  const state = currentBooks(stored, config);
  const open = now < state.resetAt;
  const limit = Math.max(1, state.limit);
  return {
    limit,
    left: open ? Math.max(0, limit - state.used) : limit,
    blockedMs: Math.max(0, state.blockedUntil - now),
    firstWindowEndsMs: open ? state.resetAt - now : config.windowMs,
  };
}

/**
 * How long until the bucket grants the start `ahead` starts after the next one (0: the next), if
 * nothing else asks and the provider says nothing new: the room left in the current window goes
 * first, then a window's `limit` at each window's end, none before a Retry-After. What a reply in
 * line waits for its start, as the books stand.
 */
export function startDelayMs(stored: CapacityState | null, config: CapacityLimit, ahead: number, now: number): number {
  return poolStartDelayMs([stored], config, ahead, now);
}

/**
 * The same over a key pool, from every key's books: each start goes to the key whose next start
 * comes first, as the scheduler's waiters ask the key with the most headroom first and take the
 * first start any key opens (lib/jobs/capacity-line.ts). A spent key adds nothing until its
 * window ends, and one held back by a Retry-After nothing before it.
 */
export function poolStartDelayMs(stored: (CapacityState | null)[], config: CapacityLimit, ahead: number, now: number): number {
  const schedules = stored.map((books) => startSchedule(books, config, now));
  // A key's batches of starts: its room left now (after any Retry-After), then its limit at each window's end.
  const batch = ({ limit, left, blockedMs, firstWindowEndsMs }: ReturnType<typeof startSchedule>, index: number) =>
    index === 0
      ? { atMs: blockedMs, starts: left }
      : { atMs: Math.max(blockedMs, firstWindowEndsMs + (index - 1) * config.windowMs), starts: limit };
  const nextBatch = schedules.map(() => 0);
  let granted = 0;
  for (;;) {
    let key = 0;
    for (let other = 1; other < schedules.length; other += 1) {
      if (batch(schedules[other], nextBatch[other]).atMs < batch(schedules[key], nextBatch[key]).atMs) key = other;
    }
    const { atMs, starts } = batch(schedules[key], nextBatch[key]);
    nextBatch[key] += 1;
    granted += starts;
    if (ahead < granted) return atMs;
  }
}

/**
 * Whether an answer to a start is worth a report: one that says something of the provider's
 * capacity, or any answer to a probe (a bare admission is what the probe asks). Answers without
 * rate-limit headers to other starts are not sent, which keeps a reply's hot-store commands as
 * they were for providers that send none.
 */
function worthReporting(signal: ProviderSignal, probe: boolean | undefined): boolean {
  return probe === true || signal.refused || signal.retryAfterMs !== undefined || signal.headroom !== undefined || signal.tokens !== undefined;
}

/**
 * What sends a bucket what the provider answered to one of its takes; never throws (a failed
 * report goes to `onError`: the books are corrected by the next answer). Both runners report
 * through it, to request and token buckets alike.
 */
export function capacityReports(
  store: Pick<HotStore, "reportCapacity">,
  onError?: (error: unknown, context: string) => void,
): (bucket: string, report: CapacityReport, limit: CapacityLimit) => void {
  return (bucket, report, limit) => void store.reportCapacity(bucket, report, limit).catch((error) => onError?.(error, "capacity report"));
}

/**
 * Takes a start from the bucket of the model and key now, without waiting: the key with the
 * reporter of that start when granted, null when the bucket has none free. What a title call
 * starts with (both runners; a skipped title is not worth a wait).
 */
export async function takeStartNow(
  store: Pick<HotStore, "takeCapacity" | "reportCapacity">,
  capacity: ProviderCapacity,
  { modelId, key }: { modelId: string; key: number },
  onError?: (error: unknown, context: string) => void,
): Promise<TitleStart | null> {
  const bucket = capacity.bucketFor(modelId, key);
  const grant = await store.takeCapacity(bucket, capacity.limit);
  if (!grant.granted) return null;
  const report = capacityReports(store, onError);
  return {
    key,
    onProviderSignal: (signal) => reportCall(report, capacity, { modelId, bucket, seq: grant.seq, tokenSeq: undefined, probe: grant.probe }, signal),
  };
}

/**
 * Sends what the provider answered to a call to both of its buckets, when it is worth a report
 * (worthReporting): the request bucket's start `seq` (a `probe` start's bare admission too), and,
 * once the call holds its tokens (`tokenSeq`), the token bucket's take. Both runners report a
 * reply's call through it.
 */
export function reportCall(
  report: ReturnType<typeof capacityReports>,
  capacity: ProviderCapacity,
  { modelId, bucket, seq, tokenSeq, probe }: { modelId: string; bucket: string; seq: number; tokenSeq: number | undefined; probe: boolean | undefined },
  said: ProviderSignal,
): void {
  const { tokens: tokenHeadroom, ...signal } = said;
  if (worthReporting(said, probe)) report(bucket, { ...signal, seq }, capacity.limit);
  // A token take is never a probe's answer: a token bucket's probe settles by a refusal or by its window's end.
  const tokenLimit = capacity.tokenLimit?.(modelId);
  if (tokenLimit && tokenSeq !== undefined && worthReporting(said, false)) {
    report(tokenBucket(bucket), { ...signal, headroom: tokenHeadroom, seq: tokenSeq }, tokenLimit);
  }
}

/** A reply's call as `takeCallNow` granted it: what the reply handler is given, and what undoes it. */
export interface CallStart {
  attempt: Pick<ReplyAttempt, "key" | "reserveTokens" | "onProviderSignal">;
  /** Gives the request start back: the call never reached the provider (its tokens did not fit). */
  returnStart(): Promise<void>;
  /**
   * Gives back, whole, a token hold the reply left unsettled (its attempt ended in an error before
   * settling): whatever ends the attempt, the hold does not outlive it.
   */
  returnUnsettledTokens(): Promise<void>;
}

/**
 * Takes a start for a reply's call now, without waiting, from the first of the model's buckets
 * (one per key) that has one, asking the keys in turn from `firstKey` on: with its token hold
 * (taken when the reply asks, at once or not at all: `reserveTokens` throws TokensNotFreeYet with
 * the wait) and its reporter; otherwise how long until some bucket may have room. For a runner
 * that waits on its own terms (Inngest's reply function sleeps as a step between tries).
 */
export async function takeCallNow(
  store: Pick<HotStore, "takeCapacity" | "returnCapacity" | "reportCapacity">,
  capacity: ProviderCapacity,
  { modelId, firstKey }: { modelId: string; firstKey: number },
  onError?: (error: unknown, context: string) => void,
): Promise<{ granted: true; call: CallStart } | { granted: false; waitMs: number }> {
  let waitMs = Infinity;
  for (let turn = 0; turn < capacity.keys; turn += 1) {
    const key = (firstKey + turn) % capacity.keys;
    const bucket = capacity.bucketFor(modelId, key);
    const grant = await store.takeCapacity(bucket, capacity.limit);
    if (grant.granted) return { granted: true, call: heldCall(store, capacity, { modelId, key, bucket, seq: grant.seq, probe: grant.probe }, onError) };
    waitMs = Math.min(waitMs, grant.waitMs);
  }
  return { granted: false, waitMs };
}

function heldCall(
  store: Pick<HotStore, "takeCapacity" | "returnCapacity" | "reportCapacity">,
  capacity: ProviderCapacity,
  { modelId, key, bucket, seq, probe }: { modelId: string; key: number; bucket: string; seq: number; probe: boolean | undefined },
  onError?: (error: unknown, context: string) => void,
): CallStart {
  const report = capacityReports(store, onError);
  const tokens = tokenBucket(bucket);
  const tokenLimit = capacity.tokenLimit?.(modelId);
  let tokenSeq: number | undefined;
  // The hold not settled yet, if any: settled at most once, by the reply or by the runner after it.
  let unsettled: { seq: number; amount: number } | undefined;
  const giveBack = async (amount: (held: number) => number) => {
    const hold = unsettled;
    if (!hold || !tokenLimit) return;
    unsettled = undefined;
    await store.returnCapacity(tokens, { seq: hold.seq, amount: amount(hold.amount) }, tokenLimit).catch((error) => onError?.(error, "token settlement"));
  };
  return {
    attempt: {
      key,
      ...(tokenLimit && {
        reserveTokens: async (amount: number) => {
          const grant = await store.takeCapacity(tokens, tokenLimit, amount);
          if (!grant.granted) throw new TokensNotFreeYet(grant.waitMs);
          tokenSeq = grant.seq;
          unsettled = { seq: grant.seq, amount };
          return { settle: (used: number) => giveBack((held) => held - used) };
        },
      }),
      onProviderSignal: (signal) => reportCall(report, capacity, { modelId, bucket, seq, tokenSeq, probe }, signal),
    },
    returnStart: () => store.returnCapacity(bucket, { seq, amount: 1 }, capacity.limit).catch((error) => onError?.(error, "start return")),
    returnUnsettledTokens: () => giveBack((held) => held),
  };
}
