/**
 * Shared replies to context-free prompts: when many people open a chat with the same words
 * ("hello", "what can you do?"), the model answers once per model and TTL, and the rest get
 * that answer replayed from the hot store.
 *
 * Only a chat's first message qualifies: any later reply depends on turns the next person did
 * not have. The key is the model id, the prompt normalised (case, punctuation and spacing
 * ignored) and the chat's custom instructions exactly as written (a reply follows them), hashed. Punctuation becomes a space rather than vanishing, so "3-1" and "31" stay
 * apart: a missed hit costs one model call, a wrong hit gives someone an answer to another
 * question.
 */
import { createHash } from "node:crypto";
import type { UIMessageChunk } from "ai";
import { z } from "zod";
import type { HotStore } from "@/lib/hot/hot-store";
import { countInMinute } from "@/lib/metrics/minute-series";

/** Bump when what replies depend on besides the prompt and the instructions changes (a system prompt of the app's own, say). */
const KEY_VERSION = 1;

/** Hot-store counters, for the admin pages. */
export const REPLY_CACHE_COUNTERS = {
  hits: "reply-cache:hits",
  misses: "reply-cache:misses",
  /** Prompt and reply tokens of every reply served from the cache instead of the model. */
  tokensSaved: "reply-cache:tokens-saved",
} as const;

export interface CachedReply {
  /** The reply's UI message chunks, with nothing that belongs to one particular reply (see below). */
  chunks: UIMessageChunk[];
  inputTokens: number;
  outputTokens: number;
}

export interface PromptInChat {
  modelId: string;
  text: string;
  /** True only for the first message of a chat; nothing else is looked up or stored. */
  isFirstMessage: boolean;
  /** The chat's custom instructions (lib/instructions/), sent as its system message. */
  instructions?: string;
}

const cachedReplySchema = z.object({
  chunks: z.array(z.looseObject({ type: z.string() })),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
});

export function normalisePrompt(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\p{P}+/gu, " ")
    .replace(/\s+/gu, " ")
    .trim();
}

/**
 * The hot-store cache key for a prompt, or null when nothing is left of it to key on. Without
 * instructions the key is the one it was before instructions existed, so those entries still serve.
 */
export function replyCacheKey(modelId: string, text: string, instructions?: string): string | null {
  const normalised = normalisePrompt(text);
  if (normalised === "") return null;
  const keyed = instructions ? [KEY_VERSION, modelId, normalised, instructions] : [KEY_VERSION, modelId, normalised];
  const digest = createHash("sha256").update(JSON.stringify(keyed)).digest("hex");
  return `reply:${digest}`;
}

/** A cache lookup's result: the reply found, if any; null when the prompt is not looked up. */
export type CacheLookup = { reply: CachedReply | null } | null;

/**
 * Reads the cache for a prompt without counting the lookup, so it can be asked before it is
 * known to be wanted (lib/chat/send-message.ts); countCacheLookup counts the lookups used.
 */
export async function readCachedReply(hot: HotStore, { modelId, text, isFirstMessage, instructions }: PromptInChat): Promise<CacheLookup> {
  const key = isFirstMessage ? replyCacheKey(modelId, text, instructions) : null;
  if (key === null) return null;
  const raw = await hot.getCached(key);
  return { reply: raw === null ? null : parseCachedReply(raw) };
}

/** Counts a lookup for the admin pages, in the hot store's next batch of counts: a hit (and the tokens it saves) or a miss. */
export function countCacheLookup(hot: HotStore, lookup: CacheLookup): void {
  if (lookup === null) return;
  const { reply } = lookup;
  if (reply === null) {
    hot.addToCounter(REPLY_CACHE_COUNTERS.misses, 1);
    return;
  }
  hot.addToCounter(REPLY_CACHE_COUNTERS.hits, 1);
  hot.addToCounter(REPLY_CACHE_COUNTERS.tokensSaved, reply.inputTokens + reply.outputTokens);
  countInMinute(hot, "cache-hits");
}

/**
 * Keeps a finished reply for the next person to send the same first message; true if stored.
 * Replies that did not finish cleanly (stopped, failed) are not kept. The stored chunks lose
 * the reply's own message id and metadata: a replay sets its own on the start chunk.
 */
export async function storeCachedReply(
  hot: HotStore,
  { modelId, text, isFirstMessage, instructions, reply, ttlSeconds }: PromptInChat & { reply: CachedReply; ttlSeconds: number },
): Promise<boolean> {
  const key = isFirstMessage ? replyCacheKey(modelId, text, instructions) : null;
  if (key === null || !finishedCleanly(reply.chunks)) return false;
  const shared: CachedReply = { ...reply, chunks: reply.chunks.flatMap(withoutReplyIdentity) };
  await hot.setCached(key, JSON.stringify(shared), ttlSeconds);
  return true;
}

export async function readReplyCacheCounters(hot: HotStore): Promise<{ hits: number; misses: number; tokensSaved: number }> {
  const [hits, misses, tokensSaved] = await hot.getCounters([
    REPLY_CACHE_COUNTERS.hits,
    REPLY_CACHE_COUNTERS.misses,
    REPLY_CACHE_COUNTERS.tokensSaved,
  ]);
  return { hits, misses, tokensSaved };
}

function parseCachedReply(raw: string): CachedReply | null {
  try {
    const parsed = cachedReplySchema.safeParse(JSON.parse(raw));
    return parsed.success ? (parsed.data as CachedReply) : null;
  } catch {
    return null;
  }
}

function finishedCleanly(chunks: UIMessageChunk[]): boolean {
  return chunks.at(-1)?.type === "finish" && !chunks.some((chunk) => chunk.type === "error" || chunk.type === "abort");
}

/** Drops what belongs to one reply: its id and metadata, and data parts (place in line and such). */
function withoutReplyIdentity(chunk: UIMessageChunk): UIMessageChunk[] {
  if (chunk.type === "start") return [{ type: "start" }];
  if (chunk.type === "finish") return [chunk.finishReason ? { type: "finish", finishReason: chunk.finishReason } : { type: "finish" }];
  if (chunk.type === "message-metadata" || chunk.type.startsWith("data-")) return [];
  return [chunk];
}
