/**
 * The reply job's work, independent of who runs it (the in-process runner or Inngest): read the
 * stitched history, stream the model's answer into the relay, and store the finished reply in the
 * hot store for the next flush.
 *
 * Retry-safe: nothing reaches the relay before the model's first token, so a failure until then
 * (a 429, a 5xx, the network) throws RetryableReplyError and the runner can run the job again as
 * if the attempt never happened. Once text has streamed, a failure ends the reply with an error
 * instead, since the reader already shows part of it; so does a retry of an attempt whose process
 * died mid-stream (Inngest runs the step again). When the runner's attempts are used up it calls
 * abandonReply, so a reader always gets an ending.
 */
import type { UIMessageChunk } from "ai";
import type { ModelProvider } from "@/lib/ai/models";
import type { AppConfig } from "@/lib/config";
import type { Database } from "@/lib/db/client";
import type { HotStore } from "@/lib/hot/hot-store";
import { RetryableReplyError, TokensNotFreeYet, type ReplyAttempt } from "@/lib/jobs/job-runner";
import { estimateMessageTokens } from "@/lib/ai/token-estimate";
import { reserveTokens, settleTokens } from "@/lib/limits/token-budget";
import type { Limiter } from "@/lib/limits/limiter";
import { startModelCall } from "@/lib/metrics/model-calls";
import { getChatMessages, toUIMessage } from "@/lib/history/history";
import { backInLine, endReply, isStopRequested, leaveLine, readStateAndStop, readStopMark, stopFlagKey, stopRequestOf, type ReplyEnding } from "./lifecycle";
import { interruptIfTextStreamed } from "./reply-owners";
import { isSettled, moveReply, nextReplyState, readReplyState, replyStateWrite } from "./reply-state";
import { describeModelFailure, providerSignal } from "./model-errors";
import { RelayWriter, isTerminalChunk } from "./relay";
import { streamModelReply, type ModelReplyOutcome } from "./model-stream";
import { storeCachedReply } from "./reply-cache";
import { branchTo } from "@/lib/history/versions";
import { trimHistory } from "./trim-history";
import { cutAtShown } from "./stop-mark";
import { countReplyMetrics } from "./reply-metrics";
import { countReplyRoute } from "./reply-routes";
import { recordReplyFinished } from "./wait-estimate";
import { messageAttachments, type ChatMessageMetadata, type ChatUIMessage, type ReplyJob, type ReplyRoute, type ReplyState, type ReplyStatus } from "@/lib/domain";
import { attachmentBytes, withoutUnreadableAttachments } from "@/lib/attachments/attachments";
import type { ObjectStore } from "@/lib/storage/object-store";
import { TIER_POLICIES } from "@/lib/limits/policies";
import { costMicros, priceOf } from "@/lib/costs/reply-cost";
import { reserveSpend, settleSpend, type SpendReservation } from "@/lib/costs/spend-budget";
import { countSpend } from "@/lib/costs/spend-counters";

export interface GenerateReplyDeps {
  config: AppConfig;
  db: Database;
  hot: HotStore;
  models: ModelProvider;
  limiter: Limiter;
  /** Where the history's attachments are read from for the model call. */
  storage: ObjectStore;
}

const CANCEL_POLL_MS = 250;
const STOPPED_MIDWAY_MESSAGE = "The model stopped before finishing this answer. Please try again.";
const NO_ANSWER_MESSAGE = "The model could not answer this time. Please try again in a moment.";
const STOPPED_BEFORE_START: UIMessageChunk = { type: "abort", reason: "stopped before it started" };

/** What a stream sends before the model's first token; held back until that token arrives. */
const PREAMBLE_CHUNKS = new Set<UIMessageChunk["type"]>(["start", "start-step", "text-start", "reasoning-start"]);

/** The reply's state; a job whose state expired is taken as still waiting. */
async function currentState(hot: HotStore, job: ReplyJob): Promise<ReplyState> {
  return stateOrQueued(job, await readReplyState(hot, job.replyId));
}

function stateOrQueued(job: ReplyJob, state: ReplyState | null): ReplyState {
  return state ?? { replyId: job.replyId, chatId: job.chatId, userId: job.userId, status: "queued", enqueuedAt: job.enqueuedAt };
}

/** Runs one attempt at a reply; throws RetryableReplyError when another attempt may succeed. */
export async function generateReply(
  deps: GenerateReplyDeps,
  job: ReplyJob,
  { attempt, modelId, key = 0, fallback, reserveTokens: holdProviderTokens, onProviderSignal }: ReplyAttempt,
): Promise<{ status: ReplyStatus; answered?: { firstTurn: boolean; modelId: string } }> {
  const { config, hot } = deps;
  const ttl = config.chat.hotHistoryTtlSeconds;
  // Independent round trips go out together: each one here delays the reply's first token.
  // Leaving the line is harmless for a reply that turns out settled: it left the line before, and
  // its history is read for nothing.
  const [[stored, stopped], , { messages }] = await Promise.all([
    readStateAndStop(hot, job.replyId),
    leaveLine(hot, job.replyId),
    getChatMessages(deps, { chatId: job.chatId, userId: job.userId }),
  ]);
  const queued = stateOrQueued(job, stored);
  if (isSettled(queued.status)) return { status: queued.status };
  // A retry of an attempt that died mid-stream (Inngest runs the step again after its instance was
  // killed): the reader already shows that attempt's text, so the reply ends there, interrupted.
  if (queued.status !== "queued") {
    const interrupted = await interruptIfTextStreamed(hot, { job, state: queued, ttlSeconds: ttl });
    if (interrupted) return { status: interrupted.status };
  }
  if (stopped) {
    const ended = await endReply(hot, job, queued, { status: "stopped", chunks: [STOPPED_BEFORE_START] }, ttl);
    return { status: ended.status };
  }

  // The branch that leads to the question: other versions of its turns are not the model's business.
  const branch = branchTo(messages, job.userMessageId).map(toUIMessage);
  // Files this model cannot read are left out (lib/attachments/attachments.ts says when that happens).
  const wholeHistory = withoutUnreadableAttachments(branch, deps.models.attachmentKinds(modelId));
  // The chat's custom instructions lead as its system message: always kept by the trim, and
  // counted in the prompt's estimate like any message.
  const history = trimHistory([...instructionsMessage(job), ...wholeHistory], deps.models.historyBudget(modelId));
  // The attachments of the turns sent (their estimates are in the prompt's, below) are read while
  // the tokens are held; a failed read fails the attempt before anything was relayed.
  const attachmentsRead = attachmentBytes(deps.storage, history.flatMap(messageAttachments));
  attachmentsRead.catch(() => undefined);
  // The most this call can cost is held against the day's token quotas before it is made.
  const promptCount = await deps.models.promptTokens.count(modelId, history);
  const promptTokens = promptCount.tokens;
  const mostTokens = promptTokens + TIER_POLICIES[job.tier].maxOutputTokens;
  const spender = { userId: job.userId, tier: job.tier, network: job.network };
  const reserved = await reserveTokens(deps, spender, mostTokens);
  if (reserved.kind === "refused") return abandonReply(deps, job, reserved.message);
  const { reservation } = reserved;
  // So is the most it can cost against the sender's spending budgets, when they have any and the
  // model has a price (lib/costs/spend-budget.ts).
  const price = priceOf(config, modelId);
  let spendReservation: SpendReservation | undefined;
  if (job.budget && price) {
    const most = costMicros(price, { inputTokens: promptTokens, outputTokens: TIER_POLICIES[job.tier].maxOutputTokens });
    const held = await reserveSpend(deps, { userId: job.userId, budget: job.budget }, most);
    if (held.kind === "refused") {
      await settleTokens(deps, reservation, 0);
      return abandonReply(deps, job, held.message);
    }
    spendReservation = held.reservation;
  }
  const settleCost = (cost: number) => (spendReservation ? settleSpend(deps, spendReservation, cost) : undefined);
  // The provider's tokens per minute are held too (the runner's token bucket, when it keeps one);
  // every hold is settled with what the call used.
  const providerTokens = await holdProviderTokens?.(mostTokens).catch(async (error: unknown) => {
    await Promise.all([settleTokens(deps, reservation, 0), settleCost(0)]);
    // The runner waits for the room elsewhere: meanwhile the reader sees a place in line again.
    if (error instanceof TokensNotFreeYet) await backInLine(hot, job, queued, ttl);
    throw error;
  });
  const settle = (used: number, cost = 0) =>
    Promise.all([settleTokens(deps, reservation, used), providerTokens?.settle(used), settleCost(cost)]);

  const startedAt = Date.now();

  const abort = new AbortController();
  let shownAtStop: number | undefined;
  const stop = (mark: { shownChars?: number } | null) => {
    if (!mark || abort.signal.aborted) return;
    shownAtStop = mark.shownChars;
    abort.abort();
  };
  // Every relay append reads the stop flag in the same step, so while the reply streams a stop is
  // heard with the next append (within RELAY_DURABLE_MS), at no cost of its own. The flag is read
  // by itself only when no append read it lately and none is due: while the model has not
  // answered yet, or pauses.
  const writer = new RelayWriter(hot, job.replyId, ttl, {
    holdFirstText: true,
    watch: stopFlagKey(job.replyId),
    onWatched: (mark) => stop(stopRequestOf(mark)),
  });
  const cancelWatch = setInterval(async () => {
    if (writer.appendDue || Date.now() - writer.watchedAt < CANCEL_POLL_MS) return;
    stop(await readStopMark(hot, job.replyId).catch(() => null));
  }, CANCEL_POLL_MS);
  countReplyMetrics(hot, { retries: attempt > 0 ? 1 : 0, fallbacks: modelId === job.modelId ? 0 : 1 });
  // Written while the model call starts, and awaited before its first token is relayed: readers
  // see "running" by the time text reaches them, and a hot store that fails here fails the attempt
  // before anything reached the relay, as a failure of the reads above would. A reply an earlier
  // attempt left running (its process died before any text) starts over as it is.
  const markedRunning = queued.status === "running" ? Promise.resolve(queued) : moveReply(hot, queued, "running", ttl);
  // Awaited by streamToRelay; a failure before that is handled there, not reported as unhandled.
  markedRunning.catch(() => undefined);
  // Admin figures (lib/metrics/model-calls.ts): each attempt is one model call, in flight until it
  // settles. Counted while the call starts rather than before: the count never delays a token.
  const modelCall = startModelCall(hot, `${job.replyId}:${attempt}`);
  let outcome: StreamOutcome;
  try {
    const attachments = await attachmentsRead;
    outcome = await streamToRelay(deps, job, { writer, modelId, key, history, attachments, signal: abort.signal, markedRunning, ttl, onProviderSignal });
  } catch (error) {
    abort.abort();
    await settle(0);
    throw error;
  } finally {
    clearInterval(cancelWatch);
    await (await modelCall).end();
  }

  if (outcome.kind === "failed-before-text") {
    const failure = describeModelFailure(outcome.error);
    await settle(0);
    countReplyMetrics(hot, { "provider-429s": failure.rateLimited ? 1 : 0 });
    // A rejected key is passed over for a while (lib/jobs/capacity-line.ts): with another key in
    // the pool the next attempt can succeed.
    if (!failure.retryable && !(failure.keyRejected && deps.models.keys > 1)) return abandonReply(deps, job);
    // Back in line for the next attempt, so the reader sees a place in line again, not a stall.
    await backInLine(hot, job, outcome.state, ttl);
    throw new RetryableReplyError(`Model ${modelId} failed before its first token`, failure.retryAfterMs, {
      cause: outcome.error,
    });
  }

  const { status, usage, relayed, state, ending, firstTokenAt } = outcome;
  // A stopped reply is kept as the stopper saw it, not as far as the model got before the job noticed.
  const parts = status === "stopped" ? cutAtShown(outcome.parts, shownAtStop) : outcome.parts;
  relayed.push(ending.chunks[0]);
  // A model other than the one asked for, with no other reason from the runner, is there because
  // the ones before it failed this reply.
  const fellBack = fallback ?? (modelId === job.modelId ? undefined : "failed");
  const route: ReplyRoute = { provider: deps.models.driver, keyId: deps.models.keyId(key), ...(fellBack && { fallback: fellBack }) };
  // A reply cut short has no usage figures; its prompt and what streamed were still billed.
  const billed = usage
    ? { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 }
    : { inputTokens: promptTokens, outputTokens: estimateMessageTokens({ parts }) };
  const cost = price && costMicros(price, billed);
  await endReply(hot, job, state, { ...ending, message: { parts, modelId, usage, route, costMicros: cost } }, ttl);
  recordReplyFinished(hot, status === "finished" ? { startedAt, firstTokenAt, finishedAt: Date.now() } : undefined);
  if (usage?.inputTokens !== undefined) deps.models.promptTokens.learn(modelId, promptCount, usage.inputTokens);
  await settle(billed.inputTokens + billed.outputTokens, cost);
  if (cost !== undefined) countSpend(hot, { modelId, tier: job.tier, micros: cost });
  if (status === "finished" && wholeHistory.length === 1 && messageAttachments(branch[0]).length === 0) {
    // A chat's first message has no context: its reply can serve the next person who opens with it
    // (unless it carried files, which its text alone does not describe).
    await storeCachedReply(hot, {
      modelId,
      text: textOf(wholeHistory[0]),
      isFirstMessage: true,
      instructions: job.instructions,
      reply: { chunks: relayed, inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 },
      ttlSeconds: config.replyCache.ttlSeconds,
    });
  }
  countReplyMetrics(hot, {
    "replies-completed": status === "finished" ? 1 : 0,
    "replies-failed": status === "failed" ? 1 : 0,
    "tokens-in": usage?.inputTokens,
    "tokens-out": usage?.outputTokens,
  });
  countReplyRoute(hot, modelId, route);
  // What the chat's title job (lib/titles) starts from: a first turn answered, by this model.
  return { status, ...(status === "finished" && { answered: { firstTurn: wholeHistory.length === 1, modelId } }) };
}

type StreamOutcome =
  | { kind: "failed-before-text"; error: unknown; state: ReplyState }
  | {
      kind: "streamed";
      status: "finished" | "failed" | "stopped";
      /** The reply's state as the stream left it: running, or streaming once text reached the reader. */
      state: ReplyState;
      parts: ChatUIMessage["parts"];
      usage?: ModelReplyOutcome["usage"];
      /** Every chunk the reader got but the ending: what the reply cache keeps, with the ending. */
      relayed: UIMessageChunk[];
      /** When the first token reached the relay: what the wait estimate learns a reply's start from. */
      firstTokenAt: number;
      /** The relay's terminal chunk, written by the same writer once the reply is stored (see endReply). */
      ending: Required<Pick<ReplyEnding, "status" | "chunks" | "writer">>;
    };

/** Streams the model's answer into the relay, holding everything back until its first token. */
async function streamToRelay(
  { hot, models }: GenerateReplyDeps,
  job: ReplyJob,
  {
    writer,
    modelId,
    key,
    history,
    attachments,
    signal,
    markedRunning,
    ttl,
    onProviderSignal,
  }: {
    writer: RelayWriter;
    modelId: string;
    key: ReplyAttempt["key"];
    history: ChatUIMessage[];
    attachments: ReadonlyMap<string, Uint8Array>;
    signal: AbortSignal;
    markedRunning: Promise<ReplyState>;
    ttl: number;
    onProviderSignal: ReplyAttempt["onProviderSignal"];
  },
): Promise<StreamOutcome> {
  const { chunks, outcome } = streamModelReply(models.languageModel(modelId, key), {
    history,
    attachments,
    signal,
    messageId: job.replyId,
    metadata: { createdAt: job.enqueuedAt, model: modelId },
    errorText: STOPPED_MIDWAY_MESSAGE,
    maxOutputTokens: TIER_POLICIES[job.tier].maxOutputTokens,
    onAnswer: (answer) => {
      const said = providerSignal(answer);
      if (said) onProviderSignal?.(said);
    },
  });

  const held: UIMessageChunk[] = [];
  const relayed: UIMessageChunk[] = [];
  const relay = (chunk: UIMessageChunk) => {
    relayed.push(chunk);
    writer.write(chunk);
  };
  let textStarted = false;
  let firstTokenAt = 0;
  // A stream that ends on an error chunk still needs its finish.
  let ending: UIMessageChunk = { type: "finish" };
  let state = await markedRunning;
  for await (const chunk of chunks) {
    const first = !textStarted;
    if (first) {
      if (chunk.type === "error") return { kind: "failed-before-text", error: outcome.error, state };
      if (PREAMBLE_CHUNKS.has(chunk.type)) {
        held.push(chunk);
        continue;
      }
      textStarted = true;
      firstTokenAt = Date.now();
      for (const early of held) relay(early);
    }
    if (isTerminalChunk(chunk)) ending = chunk;
    else relay(chunk);
    // The first token waits for its append: the reader gets it then, before the rest of a fast
    // stream keeps this process busy. The reply is streaming from that append on (written in the
    // same step): answering it again would repeat this text.
    if (first) {
      const streaming = nextReplyState(state, "streaming");
      await writer.flush(replyStateWrite(streaming, ttl));
      state = streaming;
    }
  }

  const status = signal.aborted ? "stopped" : outcome.error !== undefined ? "failed" : "finished";
  return {
    kind: "streamed",
    status,
    state,
    parts: outcome.parts,
    usage: status === "finished" ? outcome.usage : undefined,
    relayed,
    firstTokenAt,
    ending: { status, chunks: [ending], writer },
  };
}

/**
 * Ends a reply that will not be generated: its attempts are used up, its failure is one no
 * retry would fix, or the job system refused to queue it (lib/chat/send-message.ts). The reader
 * gets an error and the end of the stream, and the chat keeps the reply marked as an error, so
 * nobody is left watching a spinner. Safe to call twice.
 */
export async function abandonReply(
  { config, hot }: Pick<GenerateReplyDeps, "config" | "hot">,
  job: ReplyJob,
  errorText = NO_ANSWER_MESSAGE,
): Promise<{ status: ReplyStatus }> {
  const ttl = config.chat.hotHistoryTtlSeconds;
  const state = await currentState(hot, job);
  if (isSettled(state.status)) return { status: state.status };
  const metadata: ChatMessageMetadata = { createdAt: job.enqueuedAt, model: job.modelId, status: "error" };
  await endReply(
    hot,
    job,
    state,
    {
      status: "failed",
      message: { parts: [], modelId: job.modelId },
      chunks: [
        { type: "start", messageId: job.replyId, messageMetadata: metadata },
        { type: "error", errorText },
        { type: "finish" },
      ],
    },
    ttl,
  );
  countReplyMetrics(hot, { "replies-failed": 1 });
  return { status: "failed" };
}

/**
 * Ends a reply whose run the job system cancelled (Inngest's `cancelOn` after a stop, its
 * dashboard, a deploy that removed the function), so its reader is not left waiting. A stopped
 * reply that had not started ends as stopped; one still generating is left to its attempt, which
 * sees the stop flag and ends itself; any other ends as interrupted if text had streamed, failed if
 * not.
 */
export async function endCancelledReply(deps: Pick<GenerateReplyDeps, "config" | "hot">, job: ReplyJob): Promise<{ status: ReplyStatus }> {
  const { hot } = deps;
  const ttl = deps.config.chat.hotHistoryTtlSeconds;
  const state = await currentState(hot, job);
  if (isSettled(state.status)) return { status: state.status };
  if (await isStopRequested(hot, job.replyId)) {
    if (state.status !== "queued") return { status: state.status };
    const ended = await endReply(hot, job, state, { status: "stopped", chunks: [STOPPED_BEFORE_START] }, ttl);
    return { status: ended.status };
  }
  const interrupted = state.status === "queued" ? null : await interruptIfTextStreamed(hot, { job, state, ttlSeconds: ttl });
  return interrupted ? { status: interrupted.status } : abandonReply(deps, job);
}

function instructionsMessage({ instructions, replyId }: ReplyJob): ChatUIMessage[] {
  if (!instructions) return [];
  return [{ id: `${replyId}-instructions`, role: "system", parts: [{ type: "text", text: instructions }] }];
}

function textOf(message: ChatUIMessage): string {
  return message.parts.map((part) => (part.type === "text" ? part.text : "")).join("");
}
