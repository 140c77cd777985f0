/**
 * Streams a reply to the browser from its relay, as an AI SDK UI message stream, so useChat works
 * unchanged whichever instance runs the job. While the reply waits for a model slot the stream
 * carries its place in line.
 */
import { randomUUID } from "node:crypto";
import { UI_MESSAGE_STREAM_HEADERS, type UIMessageChunk } from "ai";
import type { AppConfig } from "@/lib/config";
import type { HotStore } from "@/lib/hot/hot-store";
import { notFound } from "@/lib/errors";
import { withCommandActivity } from "@/lib/hot/command-count";
import { openStreamSlot } from "@/lib/limits/open-streams";
import { LIVE_SETS, type LiveEntry } from "@/lib/metrics/live-set";
import { hotKeys } from "@/lib/hot/hot-keys";
import type { ReplyState } from "@/lib/domain";
import { isActive, readReplyState } from "./reply-state";
import { readRelay } from "./relay";
import { orphanWatch } from "./reply-owners";
import { estimateWaitSeconds } from "./wait-estimate";

export interface ReplyStreamOptions {
  replyId: string;
  /** The reply's state when the caller has just written or read it; read here otherwise. */
  state?: ReplyState;
  userId: string;
  fromOffset?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /**
   * Recovers the reply when its owner instance died (lib/replies/reply-owners.ts); without it, a
   * reply whose in-process runner is gone is waited for until its state expires.
   */
  recover?: (replyId: string) => Promise<unknown>;
  /** What paces the line (the capacity bucket's settings, LLM_MAX_CONCURRENCY), for the wait estimate. */
  config: Pick<AppConfig, "llm" | "model">;
}

const REPLY_LOST_MESSAGE = "This reply was interrupted before it finished. Please regenerate it.";

export async function replyStreamResponse(hot: HotStore, options: ReplyStreamOptions): Promise<Response> {
  const state = options.state ?? (await readReplyState(hot, options.replyId));
  if (!state || state.userId !== options.userId) throw notFound("Reply");

  let lastPosition: number | null = null;
  const watchOwner = options.recover ? orphanWatch(hot, options.replyId, options.recover) : undefined;
  const onIdle = async (offset: number): Promise<UIMessageChunk[] | "settled" | "quiet"> => {
    const current = await readReplyState(hot, options.replyId);
    if (!current) return [{ type: "error", errorText: REPLY_LOST_MESSAGE }, { type: "finish" }];
    // An ended reply's relay holds its end (the job closes the relay before it says so).
    if (!isActive(current.status)) return "settled";
    await watchOwner?.(offset);
    // Running or streaming: nothing to tell until it writes. Queued: its place may change any second.
    if (current.status !== "queued") return "quiet";
    const position = await hot.placeInLine(hotKeys.replyLine, options.replyId);
    if (position === null || position === lastPosition) return [];
    lastPosition = position;
    const etaSeconds = await estimateWaitSeconds({ hot, config: options.config }, position);
    return [{ type: "data-queue", data: { position: position + 1, etaSeconds }, transient: true }];
  };

  const streamId = randomUUID();
  // One of the user's open streams, refused past the cap, from here until it ends or the client leaves.
  // Counted as an open stream (for the admin pages) too, in the same step.
  const live = await openStreamSlot(hot, { userId: options.userId, streamId, alsoCountIn: [LIVE_SETS.replyStreams] });
  const batches = readRelay(hot, options.replyId, {
    fromOffset: options.fromOffset,
    signal: options.signal,
    onIdle,
  });
  const headers = new Headers({
    ...UI_MESSAGE_STREAM_HEADERS,
    // no-transform: not gzipped by `next start` (or a proxy). A compressed event stream holds a
    // zlib context per open stream (about a quarter of a megabyte each, a thousand streams a
    // quarter of a gigabyte) and spends CPU flushing it for every few-byte event.
    "cache-control": "no-cache, no-transform",
  });
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
  return new Response(toEventStream(batches, live), { headers });
}

const READER_ACTIVITY = "reply-reader";
const encoder = new TextEncoder();
const DONE_EVENT = encoder.encode("data: [DONE]\n\n");

/**
 * The AI SDK's UI message stream on the wire (what its createUIMessageStreamResponse sends): a
 * server-sent event per chunk, then [DONE]. Written here in one step from the relay's JSON text,
 * a batch of chunks per write, rather than through the SDK's chain of transform streams, which
 * re-encoded every chunk and cost a fifth of the CPU with a thousand streams open.
 *
 * Pull-based, so a slow client applies back-pressure; cancelling (a closed tab) ends the reader.
 */
function toEventStream(batches: AsyncGenerator<string[]>, live: LiveEntry): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    // Reads run when the client pulls, outside the request that opened the stream: they name
    // themselves for the hot store's command counts.
    pull: (controller) =>
      withCommandActivity(READER_ACTIVITY, async () => {
        let next: IteratorResult<string[]>;
        try {
          next = await batches.next();
        } catch (error) {
          await live.end();
          throw error;
        }
        if (next.done) {
          controller.enqueue(DONE_EVENT);
          controller.close();
          await live.end();
        } else {
          controller.enqueue(encoder.encode(next.value.map((entry) => `data: ${entry}\n\n`).join("")));
        }
      }),
    cancel: () =>
      withCommandActivity(READER_ACTIVITY, async () => {
        await live.end();
        await batches.return(undefined);
      }),
  });
}
