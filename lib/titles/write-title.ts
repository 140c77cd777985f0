/**
 * Titles written by the model. Once a chat's first reply has finished, a title job asks the model
 * that answered it for a short title and sets it. The job comes last in every respect, so a title
 * never takes anything a waiting user could use:
 *
 * - it is queued only while no reply waits in the shared line (the line users' place in line, the
 *   wait estimate and the admin overview read), and looks again before its model call: a backlog
 *   at either moment skips it, and the chat keeps its first-line title (lib/titles/first-line-title.ts);
 * - so does an instance whose event loop was busy nine tenths of each of the last two half
 *   seconds (a burst being accepted): a title's call and its stream would hold up the requests
 *   queued behind them;
 * - it waits for a model-call place behind every reply (the lowest priority of both runners) and
 *   is skipped when every place is taken;
 * - its call takes a start from the model's capacity bucket like a reply's, but only a start that
 *   is free now (with none, it is skipped rather than waiting in front of later replies), and only
 *   once nothing above held it back: a title that gives way leaves the bucket as it was;
 * - a chat whose title is no longer its first-line title was renamed by its user, and keeps it.
 *
 * A skipped title is not tried again: the first-line title is a fine one.
 */
import { generateText } from "ai";
import type { ModelProvider } from "@/lib/ai/models";
import type { AppConfig } from "@/lib/config";
import type { Database } from "@/lib/db/client";
import { messageText, type ChatUIMessage, type TitleJob } from "@/lib/domain";
import { getChatMessages, retitleUnlessRenamed } from "@/lib/history/history";
import { hotKeys } from "@/lib/hot/hot-keys";
import type { HotStore } from "@/lib/hot/hot-store";
import type { JobRunner, TitleStart } from "@/lib/jobs/job-runner";
import { sustainedEventLoopUtilisation } from "@/lib/metrics/event-loop-load";
import { countLive, LIVE_SETS } from "@/lib/metrics/live-set";
import { startModelCall } from "@/lib/metrics/model-calls";
import { providerSignal } from "@/lib/replies/model-errors";
import { shortenTitle, titleFromMessage } from "./first-line-title";
import { countTitle, type TitleOutcome } from "./title-counts";
import { TITLE_INSTRUCTION } from "@/lib/ai/title-instruction";

/** A title is a few words; this bounds what a model that rambles can cost. */
const TITLE_MAX_OUTPUT_TOKENS = 24;
/** The start of the first message is what a title is about. */
const TITLE_PROMPT_CHARS = 2_000;
const TITLE_TIMEOUT_MS = 20_000;

export interface TitleDeps {
  config: AppConfig;
  db: Database;
  hot: HotStore;
  models: ModelProvider;
}

/** Event-loop utilisation from which this instance writes no titles (lib/metrics/event-loop-load.ts). */
const TITLE_BUSY_UTILISATION = 0.9;

/**
 * Why a title would take something from a user now, or null: `backlog` while a reply waits in
 * line or every model-call place (LLM_MAX_CONCURRENCY) is taken; `busy` while this instance's
 * event loop has been busy nine tenths of the time for the last second.
 */
async function titleHeldBack({ config, hot }: Pick<TitleDeps, "config" | "hot">): Promise<"backlog" | "busy" | null> {
  if (sustainedEventLoopUtilisation() >= TITLE_BUSY_UTILISATION) return "busy";
  const [waiting, inFlight] = await Promise.all([hot.lineLength(hotKeys.replyLine), countLive(hot, LIVE_SETS.modelCalls)]);
  return waiting > 0 || inFlight >= config.llm.maxConcurrency ? "backlog" : null;
}

/**
 * Queues a chat's title job once its first reply is there, the model's or the reply cache's:
 * unless titles are first-line only (CHAT_TITLES), or a backlog or a busy instance holds it back
 * (counted as such).
 */
export async function queueTitle(
  { config, hot, jobs }: Pick<TitleDeps, "config" | "hot"> & { jobs: Pick<JobRunner, "enqueueTitle"> },
  { chatId, userId, modelId }: { chatId: string; userId: string; modelId: string },
): Promise<void> {
  if (config.chat.titles !== "model") return;
  const heldBack = await titleHeldBack({ config, hot });
  if (heldBack) return countTitle(hot, heldBack);
  await jobs.enqueueTitle({ chatId, userId, modelId, enqueuedAt: Date.now() });
}

/** The model's answer as a title: its first line, without quotes, markup or a closing period; null if nothing is left. */
export function cleanTitle(answer: string): string | null {
  const line = answer
    .trim()
    .split(/\r?\n/, 1)[0]
    .replace(/^title\s*:\s*/i, "")
    .replace(/[*_\u0060#]/g, "")
    .replace(/[\u0022“”«»]/g, "")
    .replace(/^\u0027+|\u0027+$/g, "")
    .replace(/\s+/g, " ")
    .replace(/[.:;,!\s]+$/, "")
    .trim();
  return line ? shortenTitle(line) : null;
}

/**
 * Runs one title job, taking its call's start (`takeStart`: the key and what reports the
 * provider's answer back to the bucket, or null when the model's capacity bucket has none free)
 * only once nothing else stops it; counts what became of it (lib/titles/title-counts.ts).
 */
export async function writeTitle(deps: TitleDeps, job: TitleJob, takeStart: () => Promise<TitleStart | null>): Promise<TitleOutcome> {
  const outcome = await titleFromModel(deps, job, takeStart);
  countTitle(deps.hot, outcome);
  return outcome;
}

async function titleFromModel(deps: TitleDeps, job: TitleJob, takeStart: () => Promise<TitleStart | null>): Promise<TitleOutcome> {
  const heldBack = await titleHeldBack(deps);
  if (heldBack) return heldBack;
  const { chat, messages } = await getChatMessages(deps, { chatId: job.chatId, userId: job.userId });
  const first = messages.find((message) => message.role === "user");
  if (!first) return "empty";
  const firstText = messageText({ parts: first.parts as ChatUIMessage["parts"] });
  const firstLineTitle = titleFromMessage(firstText);
  if (chat.title !== firstLineTitle) return "renamed";
  // Taken last: a title that gave way above left its start to the replies.
  const start = await takeStart();
  if (!start) return "no-capacity";
  const { key = 0, onProviderSignal } = start;

  const modelCall = await startModelCall(deps.hot, `title:${job.chatId}:${job.enqueuedAt}`);
  let answer: string;
  try {
    const result = await generateText({
      model: deps.models.languageModel(job.modelId, key),
      system: TITLE_INSTRUCTION,
      prompt: firstText.slice(0, TITLE_PROMPT_CHARS),
      maxOutputTokens: TITLE_MAX_OUTPUT_TOKENS,
      // A title is not worth a retry: the first-line title stays.
      maxRetries: 0,
      abortSignal: AbortSignal.timeout(TITLE_TIMEOUT_MS),
    });
    const said = providerSignal({ headers: result.response.headers });
    if (said) onProviderSignal?.(said);
    answer = result.text;
  } catch (error) {
    const said = providerSignal({ error });
    if (said) onProviderSignal?.(said);
    return "failed";
  } finally {
    await modelCall.end();
  }
  const title = cleanTitle(answer);
  if (!title) return "empty";
  const written = await retitleUnlessRenamed(deps, { chatId: job.chatId, userId: job.userId, from: firstLineTitle, to: title });
  return written ? "written" : "renamed";
}
