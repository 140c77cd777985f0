/**
 * Serving a reply from the cache: the cached chunks go through the same relay as a generated
 * reply, so the browser streams it exactly the same way, and no model is called. It counts
 * against the sender's request limits (already charged) but not their token quota.
 */
import type { UIMessageChunk } from "ai";
import { readUIMessageStream } from "ai";
import type { HotStore } from "@/lib/hot/hot-store";
import { hotKeys } from "@/lib/hot/hot-keys";
import { endReply } from "./lifecycle";
import type { CachedReply } from "./reply-cache";
import { recordReplyFinished } from "./wait-estimate";
import type { ChatMessageMetadata, ChatUIMessage, ReplyJob, ReplyState } from "@/lib/domain";

export async function replayCachedReply(
  hot: HotStore,
  job: ReplyJob,
  cached: CachedReply,
  ttlSeconds: number,
): Promise<ReplyState> {
  const metadata: ChatMessageMetadata = { createdAt: job.enqueuedAt, model: job.modelId };
  const chunks: UIMessageChunk[] = cached.chunks.map((chunk) =>
    chunk.type === "start" ? { ...chunk, messageId: job.replyId, messageMetadata: metadata } : chunk,
  );

  const message = { parts: await partsOf(chunks), modelId: job.modelId };
  const state = await endReply(hot, job, null, { status: "finished", message, chunks }, ttlSeconds);
  await hot.setValue(hotKeys.activeReply(job.chatId), job.replyId, ttlSeconds);
  recordReplyFinished(hot);
  return state;
}

/** The message parts the chunks build, exactly as the browser will assemble them. */
async function partsOf(chunks: UIMessageChunk[]): Promise<ChatUIMessage["parts"]> {
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let last: ChatUIMessage | undefined;
  for await (const message of readUIMessageStream<ChatUIMessage>({ stream })) last = message;
  return last?.parts ?? [];
}
