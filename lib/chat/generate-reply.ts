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
import type { HotStore, StoredMessage } from "@/lib/hot/hot-store";
import type { ReplyAttempt } from "@/lib/jobs/job-runner";
import { recordTokenUsage } from "@/lib/limits/chat-allowance";
import type { Limiter } from "@/lib/limits/limiter";
import { lineScore } from "@/lib/jobs/reply-policy";
import { startModelCall } from "@/lib/metrics/model-calls";
import { getChatMessages, toUIMessage } from "./history";
import { hotKeys } from "./hot-keys";
import { interruptIfTextStreamed } from "./reply-owners";
import { readReplyState, writeReplyState } from "./reply-state";
import { RetryableReplyError, describeModelFailure } from "./model-errors";
import { RelayWriter, isTerminalChunk } from "./relay";
import { streamModelReply, type ModelReplyOutcome } from "./model-stream";
import { storeCachedReply } from "./reply-cache";
import { cutAtShown, shownCharsOf } from "./stop-mark";
import { countReplyMetrics } from "./reply-metrics";
import { recordReplyFinished } from "./wait-estimate";
import { writeUnflushed } from "./write-unflushed";
import type { ChatMessageMetadata, ChatUIMessage, ReplyJob, ReplyState, ReplyStatus } from "./types";
import { TIER_POLICIES } from "@/lib/limits/policies";

export interface GenerateReplyDeps {
  config: AppConfig;
  db: Database;
  hot: HotStore;
  models: ModelProvider;
  limiter: Limiter;
}

const CANCEL_POLL_MS = 250;
const STOPPED_MIDWAY_MESSAGE = "The model stopped before finishing this answer. Please try again.";
const NO_ANSWER_MESSAGE = "The model could not answer this time. Please try again in a moment.";

/** What a stream sends before the model's first token; held back until that token arrives. */
const PREAMBLE_CHUNKS = new Set<UIMessageChunk["type"]>(["start", "start-step", "text-start", "reasoning-start"]);



async function currentState(hot: HotStore, job: ReplyJob): Promise<ReplyState> {
  return (
    (await readReplyState(hot, job.replyId)) ?? {
      replyId: job.replyId,
      chatId: job.chatId,
      userId: job.userId,
      status: "queued",
      enqueuedAt: job.enqueuedAt,
    }
  );
}

/** A settled reply is left alone when its job runs again (a duplicate, a retry after a crash). */
function isSettled(status: ReplyStatus): boolean {
  return status === "done" || status === "cancelled" || status === "failed";
}

/** Runs one attempt at a reply; throws RetryableReplyError when another attempt may succeed. */
export async function generateReply(
  deps: GenerateReplyDeps,
  job: ReplyJob,
  { attempt, modelId }: ReplyAttempt,
): Promise<{ status: ReplyStatus }> {
  const { config, hot } = deps;
  const ttl = config.chat.hotHistoryTtlSeconds;
  // Independent round trips go out together: each one here delays the reply's first token.
  // Leaving the line is harmless for a reply that turns out settled: it left the line before, and
  // its history is read for nothing.
  const [state, , cancelled, { messages }] = await Promise.all([
    currentState(hot, job),
    hot.leaveLine(hotKeys.replyLine, job.replyId),
    hot.getValue(hotKeys.replyCancel(job.replyId)),
    getChatMessages(deps, { chatId: job.chatId, userId: job.userId }),
  ]);
  if (isSettled(state.status)) return { status: state.status };
  // A retry of an attempt that died mid-stream (Inngest runs the step again after its instance was
  // killed): the reader already shows that attempt's text, so the reply ends there, interrupted.
  if (state.status === "running" && (await interruptIfTextStreamed(hot, { job, state, ttlSeconds: ttl }))) {
    return { status: "failed" };
  }
  if (cancelled) {
    const writer = new RelayWriter(hot, job.replyId, ttl);
    writer.write({ type: "abort", reason: "stopped before it started" });
    await writer.close();
    await writeReplyState(hot, { ...state, status: "cancelled", finishedAt: Date.now() }, ttl);
    return { status: "cancelled" };
  }

  const startedAt = Date.now();
  const cut = messages.findIndex((message) => message.id === job.userMessageId);
  const history = (cut === -1 ? messages : messages.slice(0, cut + 1)).map(toUIMessage);

  const abort = new AbortController();
  let shownAtStop: number | undefined;
  const cancelWatch = setInterval(async () => {
    const mark = await hot.getValue(hotKeys.replyCancel(job.replyId)).catch(() => null);
    if (!mark || abort.signal.aborted) return;
    shownAtStop = shownCharsOf(mark);
    abort.abort();
  }, CANCEL_POLL_MS);
  // Written while the model call starts, and awaited before its first token is relayed: readers
  // see "running" by the time text reaches them, and a hot store that fails here fails the attempt
  // before anything reached the relay, as a failure of the reads above would.
  const markedRunning = Promise.all([
    writeReplyState(hot, { ...state, status: "running", startedAt }, ttl),
    countReplyMetrics(hot, { retries: attempt > 0 ? 1 : 0, fallbacks: modelId === job.modelId ? 0 : 1 }),
  ]);
  // Awaited by streamToRelay; a failure before that is handled there, not reported as unhandled.
  markedRunning.catch(() => undefined);
  // Admin figures (lib/metrics/model-calls.ts): each attempt is one model call, in flight until it
  // settles. Counted while the call starts rather than before: the count never delays a token.
  const modelCall = startModelCall(hot, `${job.replyId}:${attempt}`);
  let outcome: StreamOutcome;
  try {
    outcome = await streamToRelay(deps, job, { modelId, history, signal: abort.signal, markedRunning });
  } catch (error) {
    abort.abort();
    throw error;
  } finally {
    clearInterval(cancelWatch);
    await (await modelCall).end();
  }

  if (outcome.kind === "failed-before-text") {
    const failure = describeModelFailure(outcome.error);
    await countReplyMetrics(hot, { "provider-429s": failure.rateLimited ? 1 : 0 });
    if (!failure.retryable) return abandonReply(deps, job);
    // Back in line for the next attempt, so the reader sees a place in line again, not a stall.
    await writeReplyState(hot, { ...state, status: "queued" }, ttl);
    await hot.joinLine(hotKeys.replyLine, job.replyId, lineScore(job));
    throw new RetryableReplyError(`Model ${modelId} failed before its first token`, failure.retryAfterMs, {
      cause: outcome.error,
    });
  }

  const { status, usage, relayed } = outcome;
  // A stopped reply is kept as the stopper saw it, not as far as the model got before the job noticed.
  const parts = status === "cancelled" ? cutAtShown(outcome.parts, shownAtStop) : outcome.parts;
  // Stored before the reader sees the end, so a client that reloads the chat on finish finds it;
  // ended even if storing fails, so the reader is never left waiting on a reply that streamed.
  try {
    await storeReply(hot, job, { parts, modelId, status, usage }, ttl);
  } finally {
    await outcome.end();
  }
  await writeReplyState(hot, { ...state, status, startedAt, finishedAt: Date.now() }, ttl);
  await recordReplyFinished(hot);
  const tokens = (usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0);
  await recordTokenUsage(deps, { userId: job.userId, tier: job.tier, tokens });
  if (status === "done" && history.length === 1) {
    // A chat's first message has no context: its reply can serve the next person who opens with it.
    await storeCachedReply(hot, {
      modelId,
      text: textOf(history[0]),
      isFirstMessage: true,
      reply: { chunks: relayed, inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 },
      ttlSeconds: config.replyCache.ttlSeconds,
    });
  }
  await countReplyMetrics(hot, {
    "replies-completed": status === "done" ? 1 : 0,
    "replies-failed": status === "failed" ? 1 : 0,
    "tokens-in": usage?.inputTokens,
    "tokens-out": usage?.outputTokens,
  });
  return { status };
}

type StreamOutcome =
  | { kind: "failed-before-text"; error: unknown }
  | {
      kind: "streamed";
      status: "done" | "failed" | "cancelled";
      parts: ChatUIMessage["parts"];
      usage?: ModelReplyOutcome["usage"];
      /** Every chunk the reader got, ending included: what the reply cache keeps. */
      relayed: UIMessageChunk[];
      /** Writes the relay's terminal chunk; called once the reply is stored (see generateReply). */
      end: () => Promise<void>;
    };

/** Streams the model's answer into the relay, holding everything back until its first token. */
async function streamToRelay(
  { config, hot, models }: GenerateReplyDeps,
  job: ReplyJob,
  {
    modelId,
    history,
    signal,
    markedRunning,
  }: { modelId: string; history: ChatUIMessage[]; signal: AbortSignal; markedRunning: Promise<unknown> },
): Promise<StreamOutcome> {
  const writer = new RelayWriter(hot, job.replyId, config.chat.hotHistoryTtlSeconds);
  const { chunks, outcome } = streamModelReply(models.languageModel(modelId), {
    history,
    signal,
    messageId: job.replyId,
    metadata: { createdAt: job.enqueuedAt, model: modelId },
    errorText: STOPPED_MIDWAY_MESSAGE,
    maxOutputTokens: TIER_POLICIES[job.tier].maxOutputTokens,
  });

  const held: UIMessageChunk[] = [];
  const relayed: UIMessageChunk[] = [];
  const relay = (chunk: UIMessageChunk) => {
    relayed.push(chunk);
    writer.write(chunk);
  };
  let textStarted = false;
  // A stream that ends on an error chunk still needs its finish.
  let ending: UIMessageChunk = { type: "finish" };
  await markedRunning;
  for await (const chunk of chunks) {
    const first = !textStarted;
    if (first) {
      if (chunk.type === "error") return { kind: "failed-before-text", error: outcome.error };
      if (PREAMBLE_CHUNKS.has(chunk.type)) {
        held.push(chunk);
        continue;
      }
      textStarted = true;
      for (const early of held) relay(early);
    }
    if (isTerminalChunk(chunk)) ending = chunk;
    else relay(chunk);
    // The first token waits for its append: the reader gets it then, before the rest of a fast
    // stream keeps this process busy.
    if (first) await writer.flush();
  }

  const status = signal.aborted ? "cancelled" : outcome.error !== undefined ? "failed" : "done";
  return {
    kind: "streamed",
    status,
    parts: outcome.parts,
    usage: status === "done" ? outcome.usage : undefined,
    relayed,
    end: async () => {
      relay(ending);
      await writer.close();
    },
  };
}

/**
 * Ends a reply that will not be generated: its attempts are used up, its failure is one no
 * retry would fix, or the job system refused to queue it (lib/chat/send-message.ts). The reader gets an error and the end of the stream, and the chat keeps the
 * reply marked as an error, so nobody is left watching a spinner. Safe to call twice.
 */
export async function abandonReply(
  { config, hot }: Pick<GenerateReplyDeps, "config" | "hot">,
  job: ReplyJob,
  errorText = NO_ANSWER_MESSAGE,
): Promise<{ status: ReplyStatus }> {
  const ttl = config.chat.hotHistoryTtlSeconds;
  const state = await currentState(hot, job);
  if (isSettled(state.status)) return { status: state.status };

  await hot.leaveLine(hotKeys.replyLine, job.replyId);
  await storeReply(hot, job, { parts: [], modelId: job.modelId, status: "failed" }, ttl);
  const writer = new RelayWriter(hot, job.replyId, ttl);
  const metadata: ChatMessageMetadata = { createdAt: job.enqueuedAt, model: job.modelId, status: "error" };
  writer.write({ type: "start", messageId: job.replyId, messageMetadata: metadata });
  writer.write({ type: "error", errorText });
  writer.write({ type: "finish" });
  await writer.close();
  await writeReplyState(hot, { ...state, status: "failed", finishedAt: Date.now() }, ttl);
  await countReplyMetrics(hot, { "replies-failed": 1 });
  return { status: "failed" };
}

export async function storeReply(
  hot: HotStore,
  job: ReplyJob,
  { parts, modelId, status, usage }: { parts: unknown[]; modelId: string; status: ReplyStatus; usage?: ModelReplyOutcome["usage"] },
  ttlSeconds: number,
): Promise<void> {
  const reply: StoredMessage = {
    id: job.replyId,
    chatId: job.chatId,
    role: "assistant",
    parts,
    // Dated when it was asked for, so it stays right after its question (ids break the tie)
    // however long it waited, even when the user sent another message meanwhile.
    createdAt: job.enqueuedAt,
    model: modelId,
    ...(usage?.inputTokens !== undefined && { inputTokens: usage.inputTokens }),
    ...(usage?.outputTokens !== undefined && { outputTokens: usage.outputTokens }),
    ...(status !== "done" && { status: status === "cancelled" ? "stopped" : "error" }),
  };
  await writeUnflushed(hot, job.chatId, Date.now(), () => hot.putMessages(job.chatId, [reply], ttlSeconds));
}

function textOf(message: ChatUIMessage): string {
  return message.parts.map((part) => (part.type === "text" ? part.text : "")).join("");
}
