/**
 * The provider-behaviours phase: the same burst through Stampede against providers that limit in
 * different ways (a per-minute window, quantized 10 s windows, a refilling bucket, a provider that
 * reports nothing), each measured against the provider's own minimum: how soon the burst could
 * have been served by a client that knew the limit exactly and sent each request the moment it
 * would be admitted; and the same burst as a direct call, for what "just an API call" gets.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { HeaderStyle, LimiterKind } from "@/lib/testing/provider-double";
import type { Session, UserOutcome } from "./client";
import type { Child } from "./processes";
import { burstFigures, distribution, formatDistribution, markdownTable, type BurstFigures, type Distribution, type ProviderStats } from "./stats";

export interface ProviderBehaviour {
  /** Short name, for --behaviours. */
  key: string;
  name: string;
  limiter: LimiterKind;
  headers: HeaderStyle;
  /** Requests per `windowMs`. */
  rpm: number;
  windowMs: number;
}

/**
 * Each a 600-a-minute provider; they differ in how the 600 are enforced and what they say. Without
 * headers, the quantized windows are where the scheduler has something to learn: its own windows
 * open at its first start, not at the provider's boundaries, and only refusals say where those are.
 */
export const PROVIDER_BEHAVIOURS: ProviderBehaviour[] = [
  { key: "minute-openai", name: "per-minute window, OpenAI headers", limiter: "sliding", headers: "openai", rpm: 600, windowMs: 60_000 },
  { key: "quantized-openai", name: "quantized: 100 per 10 s window, OpenAI headers", limiter: "fixed", headers: "openai", rpm: 100, windowMs: 10_000 },
  { key: "bucket-anthropic", name: "refilling bucket of 100 (10/s), Anthropic headers", limiter: "bucket", headers: "anthropic", rpm: 100, windowMs: 10_000 },
  { key: "minute-none", name: "per-minute window, no headers", limiter: "sliding", headers: "none", rpm: 600, windowMs: 60_000 },
  { key: "quantized-none", name: "quantized: 100 per 10 s window, no headers", limiter: "fixed", headers: "none", rpm: 100, windowMs: 10_000 },
];

export interface ReplyShape {
  latencyMs: number;
  tokenDelayMs: number;
  tokensPerReply: number;
}

/** What the phase needs from the bench: its processes and its simulated users. */
export interface BehaviourPhaseContext {
  /** The behaviours to run (PROVIDER_BEHAVIOURS or some of them). */
  behaviours: ProviderBehaviour[];
  users: number;
  spreadMs: number;
  /**
   * Where in the provider's window each burst begins, in ms (its windows, quantized or not, begin
   * at multiples of the window on the clock): a burst straddling a window's end is where the
   * server's own latency costs the most. Undefined: whenever the warm-up is over.
   */
  phaseMs?: number;
  reply: ReplyShape;
  startDouble(name: string, behaviour: ProviderBehaviour): Promise<{ child: Child; url: string; base: string }>;
  doubleStats(base: string): Promise<ProviderStats>;
  /** Zeroes the double's counters and its rate windows. */
  resetDouble(base: string): Promise<void>;
  /**
   * Resolves once the hot store holds no chat waiting to be flushed: the bench's earlier phases
   * share it, and their chats' flush must not land in the burst.
   */
  untilFlushed(): Promise<void>;
  /** Stampede on the double at `modelUrl` with these settings over the bench's usual ones. */
  startStampede(modelUrl: string, env: Record<string, string>): Promise<Child>;
  /** `count` fresh guests (users `offset` on, so each behaviour has addresses of its own), each sending one message. */
  signIn(count: number, offset: number): Promise<Session[]>;
  send(session: Session, index: number): Promise<UserOutcome>;
  /**
   * "Just an API call", for comparison: a server that sends each user's request straight to the
   * provider (bench/naive-server.ts's bare route, with the SDK's retries honouring Retry-After)
   * on the same behaviour.
   */
  direct: {
    start(modelUrl: string): Promise<Child>;
    send(index: number): Promise<UserOutcome>;
  };
  burst<R>(count: number, spreadMs: number, call: (index: number) => Promise<R>): Promise<R[]>;
  log(message: string): void;
}

/**
 * Users whose replies warm the fresh server up (its first model calls and relays) before the
 * burst, so the burst measures the scheduler rather than a cold process.
 */
const WARM_UP_USERS = 10;

/**
 * The pause after the warm-up where the provider's window does not impose a longer one: its
 * replies' titles are written then, not in the burst's first second (in runs without it, they
 * took the per-minute burst from about 1.06 to as much as 1.26x its minimum on 2 cores).
 */
const WARM_UP_SETTLE_MS = 3_000;

export interface BehaviourFigures {
  behaviour: ProviderBehaviour;
  /** Replies, errors by kind, provider requests and 429s, queue waits: as the stampede phase counts them. */
  burst: BurstFigures;
  /** First POST → last reply finished, in ms. */
  servedMs: number;
  /** The provider's own minimum for the same arrivals (earliestAdmissions + one reply's time), in ms. */
  minimumMs: number;
  /**
   * First POST → the provider's last admission of a reply's call (its arrival stamp), in ms: how
   * soon the scheduler started the burst's last reply. Title calls (a chat's title, written by the
   * model after its first reply when the bucket has room) are not among them.
   */
  lastAdmittedMs: number | null;
  /** First POST → the earliest the provider's limiter would have admitted the last one, in ms. */
  earliestLastAdmissionMs: number;
  /** How far into one of the provider's windows (on the clock) the first POST was, in ms. */
  phaseMs: number;
  /** POST → first token, or → the end for a user who got none: every user counts. */
  waitMs: Distribution;
  /** The same burst as a direct call (BehaviourPhaseContext.direct); absent only on the direct call's own figures. */
  directCall?: Omit<BehaviourFigures, "directCall">;
}

export async function runProviderBehaviours(ctx: BehaviourPhaseContext): Promise<BehaviourFigures[]> {
  const results: BehaviourFigures[] = [];
  for (const behaviour of ctx.behaviours) {
    const position = PROVIDER_BEHAVIOURS.indexOf(behaviour);
    const double = await ctx.startDouble(`double:${behaviour.limiter}-${behaviour.headers}`, behaviour);
    try {
      const server = await ctx.startStampede(double.url, {
        LLM_RPM: String(Math.floor((behaviour.rpm * 60_000) / behaviour.windowMs)),
        LLM_LIMIT_WINDOW_MS: String(behaviour.windowMs),
        // The global cap would bind first otherwise: this phase measures the provider's limit.
        LLM_MAX_CONCURRENCY: String(ctx.users),
        // A key of its own: the capacity bucket of one behaviour must not carry into the next.
        OPENAI_API_KEY: `bench-behaviour-${position}`,
      });
      let figures: BehaviourFigures;
      try {
        const sessions = await ctx.signIn(ctx.users + WARM_UP_USERS, (position + 1) * ctx.users * 10);
        await Promise.all(sessions.splice(ctx.users).map((session, index) => ctx.send(session, index)));
        // The warm-up's starts leave the capacity bucket's books by the end of a short window;
        // a per-minute one has room for them and the burst both. Either way the server is left
        // to finish what the warm-up set going (its chats' titles) before the burst begins.
        await sleep(behaviour.windowMs <= 10_000 ? behaviour.windowMs : WARM_UP_SETTLE_MS);
        await ctx.untilFlushed();
        await ctx.resetDouble(double.base);
        if (ctx.phaseMs !== undefined) await sleep(untilPhase(Date.now(), behaviour.windowMs, ctx.phaseMs));
        ctx.log(`behaviours: ${behaviour.name}: ${ctx.users} users within ${ctx.spreadMs} ms`);
        const outcomes = await ctx.burst(ctx.users, ctx.spreadMs, (index) => ctx.send(sessions[index], index));
        figures = behaviourFigures(behaviour, outcomes, await ctx.doubleStats(double.base), ctx.reply);
        logFigures(ctx, figures);
      } finally {
        await server.stop();
      }
      figures.directCall = await runDirectCall(ctx, behaviour, double, figures.phaseMs);
      results.push(figures);
    } finally {
      await double.child.stop();
    }
  }
  return results;
}

/**
 * The same burst through a direct call, against the same double with its windows reset; where
 * the provider's windows are quantized, begun as far into one as Stampede's burst was.
 */
async function runDirectCall(
  ctx: BehaviourPhaseContext,
  behaviour: ProviderBehaviour,
  double: { url: string; base: string },
  phaseMs: number,
): Promise<BehaviourFigures> {
  const server = await ctx.direct.start(double.url);
  try {
    await ctx.resetDouble(double.base);
    if (behaviour.limiter === "fixed") await sleep(untilPhase(Date.now(), behaviour.windowMs, phaseMs));
    ctx.log(`behaviours: ${behaviour.name}: the same ${ctx.users} users as a direct call`);
    const outcomes = await ctx.burst(ctx.users, ctx.spreadMs, (index) => ctx.direct.send(index));
    const figures = behaviourFigures(behaviour, outcomes, await ctx.doubleStats(double.base), ctx.reply);
    logFigures(ctx, figures);
    return figures;
  } finally {
    await server.stop();
  }
}

function logFigures(ctx: Pick<BehaviourPhaseContext, "log">, figures: BehaviourFigures): void {
  ctx.log(
    `behaviours: ${figures.burst.repliesCompleted}/${figures.burst.users} replies in ${(figures.servedMs / 1000).toFixed(1)} s ` +
      `(provider's minimum ${(figures.minimumMs / 1000).toFixed(1)} s), ${figures.burst.provider429s} provider 429s`,
  );
}

export function behaviourFigures(behaviour: ProviderBehaviour, outcomes: UserOutcome[], provider: ProviderStats, reply: ReplyShape): BehaviourFigures {
  const burst = burstFigures(outcomes, provider, (behaviour.rpm * 60_000) / behaviour.windowMs);
  const firstPost = Math.min(...outcomes.map((outcome) => outcome.postAt));
  const lastEnd = firstPost + burst.wallSeconds * 1000;
  // One reply's own time at the provider: its latency, then the words one token delay apart (the
  // stamp the double adds is one more word).
  const replyMs = reply.latencyMs + reply.tokenDelayMs * reply.tokensPerReply;
  const earliestLast = Math.max(...earliestAdmissions(outcomes.map((outcome) => outcome.postAt), behaviour));
  const replyAdmissions = outcomes.flatMap((outcome) => (outcome.stampAt === undefined ? [] : [outcome.stampAt]));
  return {
    behaviour,
    burst,
    servedMs: lastEnd - firstPost,
    minimumMs: earliestLast + replyMs - firstPost,
    lastAdmittedMs: replyAdmissions.length > 0 ? Math.max(...replyAdmissions) - firstPost : null,
    earliestLastAdmissionMs: earliestLast - firstPost,
    phaseMs: firstPost % behaviour.windowMs,
    waitMs: distribution(outcomes.map((outcome) => (outcome.firstTextAt ?? outcome.finishedAt ?? lastEnd) - outcome.postAt)),
  };
}

/** How long from `now` until the clock is `phaseMs` into a window of `windowMs`. */
export function untilPhase(now: number, windowMs: number, phaseMs: number): number {
  return (((phaseMs - (now % windowMs)) % windowMs) + windowMs) % windowMs;
}

/**
 * When each arrival would be admitted at the earliest by the provider's limiter, in arrival order
 * (the order does not change when the last one is admitted): the double's own rules, replayed.
 */
export function earliestAdmissions(arrivals: number[], { limiter, rpm: cap, windowMs }: Pick<ProviderBehaviour, "limiter" | "rpm" | "windowMs">): number[] {
  const admitted: number[] = [];
  let fixed = { start: Number.NEGATIVE_INFINITY, count: 0 };
  let bucket = { level: cap, at: Number.NEGATIVE_INFINITY };
  for (const arrival of [...arrivals].sort((a, b) => a - b)) {
    let at = Math.max(arrival, admitted.at(-1) ?? arrival);
    if (limiter === "sliding") {
      if (admitted.length >= cap) at = Math.max(at, admitted[admitted.length - cap] + windowMs);
    } else if (limiter === "fixed") {
      let start = Math.floor(at / windowMs) * windowMs;
      if (start === fixed.start && fixed.count >= cap) {
        start += windowMs;
        at = start;
      }
      if (start !== fixed.start) fixed = { start, count: 0 };
      fixed.count += 1;
    } else {
      const level = bucket.at === Number.NEGATIVE_INFINITY ? cap : Math.min(cap, bucket.level + ((at - bucket.at) * cap) / windowMs);
      if (level < 1) at += ((1 - level) * windowMs) / cap;
      bucket = { level: Math.max(level, 1) - 1, at };
    }
    admitted.push(at);
  }
  return admitted;
}

export function renderBehaviours(figures: BehaviourFigures[], users: number, errorsText: (errors: Record<string, number>) => string): string {
  const seconds = (ms: number | null) => (ms === null ? "n/a" : `${(ms / 1000).toFixed(1)} s`);
  const row = ({ behaviour, burst, ...f }: Omit<BehaviourFigures, "directCall">) => [
    behaviour.name,
    seconds(f.phaseMs),
    `${burst.repliesCompleted} / ${burst.users}`,
    `${burst.provider429s} of ${burst.providerRequests} (${((100 * burst.provider429s) / Math.max(1, burst.providerRequests)).toFixed(1)}%)`,
    `${burst.userVisibleErrors}${burst.userVisibleErrors > 0 ? ` (${errorsText(burst.errorsByStatus)})` : ""}`,
    `${seconds(f.lastAdmittedMs)} (${seconds(f.earliestLastAdmissionMs)})`,
    `${seconds(f.servedMs)} (${seconds(f.minimumMs)})`,
    `${(f.servedMs / f.minimumMs).toFixed(2)}×`,
    formatDistribution(burst.queueWaitMs),
    formatDistribution(f.waitMs),
  ];
  const header = [
    "Provider (600 a minute)",
    "Burst began into its window",
    "Replies",
    "Provider 429s",
    "User-visible errors",
    "Last reply's call admitted after (provider's earliest)",
    "Burst served in (provider's minimum)",
    "Ratio",
    "Queue wait p50 / p95 / max",
    "Wait to first token p50 / p95 / max (all users)",
  ];
  const direct = figures.flatMap((f) => (f.directCall ? [row(f.directCall)] : []));
  return (
    markdownTable(header, figures.map(row)) +
    `\n\n${users} guests send one message each; LLM_RPM and LLM_LIMIT_WINDOW_MS describe each provider's limit, LLM_MAX_CONCURRENCY=${users}. ` +
    "The provider's earliest and minimum replay the same arrivals through the provider's own limiter, each request sent the moment it would be admitted (the minimum adds one reply's time). " +
    "The burst began this far into one of the provider's windows, which begin at multiples of the window on the clock: where a quantized window's end falls inside the burst, the starts the server has not made by then are lost to that window (`--behaviour-phase` chooses the moment). " +
    "Queue wait: POST → arrival at the provider of the attempt that answered. " +
    "Target (issue #16): every reply, at most 1% refused, within 1.15× the minimum." +
    (direct.length === 0
      ? ""
      : "\n\n" +
        markdownTable(["The same burst as a direct call", ...header.slice(1)], direct) +
        "\n\nA direct call: bench/naive-server.ts's bare route sends each request to the provider as it arrives (`streamText`, the SDK's 4 retries with its backoff, which honours `Retry-After`), nothing stored, no queue; the same double with its windows reset, and where they are quantized, the burst begun as far into one as Stampede's.")
  );
}
