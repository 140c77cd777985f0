/**
 * Streams a reply to the browser from its relay, as an AI SDK UI message stream, so useChat works
 * unchanged whichever instance runs the job. While the reply waits for a model slot the stream
 * carries its place in line.
 */
import { randomUUID } from "node:crypto";
import { createUIMessageStreamResponse, type UIMessageChunk } from "ai";
import type { HotStore } from "@/lib/hot/hot-store";
import { notFound } from "@/lib/errors";
import { enterLiveSet, LIVE_SETS, type LiveEntry } from "@/lib/metrics/live-set";
import { hotKeys } from "./hot-keys";
import { readReplyState } from "./reply-state";
import { readRelay } from "./relay";
import { orphanWatch } from "./reply-owners";
import { estimateWaitSeconds } from "./wait-estimate";

export interface ReplyStreamOptions {
  replyId: string;
  userId: string;
  fromOffset?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /**
   * Recovers the reply when its owner instance died (lib/chat/reply-owners.ts); without it, a
   * reply whose in-process runner is gone is waited for until its state expires.
   */
  recover?: (replyId: string) => Promise<unknown>;
}

const REPLY_LOST_MESSAGE = "This reply was interrupted before it finished. Please regenerate it.";

export async function replyStreamResponse(hot: HotStore, options: ReplyStreamOptions): Promise<Response> {
  const state = await readReplyState(hot, options.replyId);
  if (!state || state.userId !== options.userId) throw notFound("Reply");

  let lastPosition: number | null = null;
  const watchOwner = options.recover ? orphanWatch(hot, options.replyId, options.recover) : undefined;
  const onIdle = async (offset: number): Promise<UIMessageChunk[] | "end"> => {
    const current = await readReplyState(hot, options.replyId);
    if (!current) return [{ type: "error", errorText: REPLY_LOST_MESSAGE }, { type: "finish" }];
    if (current.status === "queued" || current.status === "running") await watchOwner?.(offset);
    if (current.status !== "queued") return [];
    const position = await hot.placeInLine(hotKeys.replyLine, options.replyId);
    if (position === null || position === lastPosition) return [];
    lastPosition = position;
    const etaSeconds = await estimateWaitSeconds(hot, position);
    return [{ type: "data-queue", data: { position: position + 1, etaSeconds }, transient: true }];
  };

  const chunks = readRelay(hot, options.replyId, {
    fromOffset: options.fromOffset,
    signal: options.signal,
    onIdle,
  });
  // Counted as an open stream (for the admin pages) from here until it ends or the client leaves.
  const live = await enterLiveSet(hot, LIVE_SETS.replyStreams, randomUUID());
  return createUIMessageStreamResponse({
    stream: toReadableStream(chunks, live),
    // no-transform: not gzipped by `next start` (or a proxy). A compressed event stream holds a
    // zlib context per open stream (about a quarter of a megabyte each, a thousand streams a
    // quarter of a gigabyte) and spends CPU flushing it for every few-byte event.
    headers: { "Cache-Control": "no-cache, no-transform", ...options.headers },
  });
}

/** Pull-based, so a slow client applies back-pressure; cancelling (a closed tab) ends the reader. */
function toReadableStream<T>(iterator: AsyncGenerator<T>, live: LiveEntry): ReadableStream<T> {
  return new ReadableStream<T>({
    async pull(controller) {
      let next: IteratorResult<T>;
      try {
        next = await iterator.next();
      } catch (error) {
        await live.end();
        throw error;
      }
      if (next.done) {
        controller.close();
        await live.end();
      } else {
        controller.enqueue(next.value);
      }
    },
    async cancel() {
      await live.end();
      await iterator.return(undefined);
    },
  });
}
