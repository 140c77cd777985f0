/**
 * A reply job that arrives from outside the process (an Inngest event, handed to the function by
 * the SDK) is a claim, not a fact: in dev mode the SDK checks no signature, and anyone holding the
 * event key can send an event. Before any model is called or anything is written, the claim is
 * held against what the app itself recorded when it queued the reply: the reply's state (written
 * by the intake, lib/chat/send-message.ts) names the same chat, user and time, the chat is that
 * user's, and the model is one the deployment offers.
 */
import type { ModelProvider } from "@/lib/ai/models";
import type { Database } from "@/lib/db/client";
import type { HotStore } from "@/lib/hot/hot-store";
import { logger } from "@/lib/log";
import { findChatForUser } from "@/lib/history/history";
import { readReplyState } from "@/lib/replies/reply-state";
import type { ReplyJob } from "@/lib/domain";

export interface ReplyJobCheckDeps {
  db: Database;
  hot: HotStore;
  models: Pick<ModelProvider, "models" | "fallbackModelId">;
}

/** Why the job is not one the app queued, or undefined when it is. */
async function untrustedBecause(deps: ReplyJobCheckDeps, job: ReplyJob): Promise<string | undefined> {
  const offered = new Set([...deps.models.models.map((model) => model.id), deps.models.fallbackModelId]);
  if (!offered.has(job.modelId)) return "model not offered";
  const state = await readReplyState(deps.hot, job.replyId);
  if (!state) return "no reply queued under this id";
  if (state.chatId !== job.chatId || state.userId !== job.userId || state.enqueuedAt !== job.enqueuedAt) {
    return "reply queued for another chat, user or time";
  }
  if (!(await findChatForUser(deps, { chatId: job.chatId, userId: job.userId }))) return "chat not the user's";
  return undefined;
}

/** True when the job is one the app queued; otherwise logs why and returns false. */
export async function isQueuedReplyJob(deps: ReplyJobCheckDeps, job: ReplyJob): Promise<boolean> {
  const reason = await untrustedBecause(deps, job);
  if (reason === undefined) return true;
  logger.warn({ replyId: job.replyId, chatId: job.chatId, userId: job.userId, modelId: job.modelId, reason }, "refused a reply job the app did not queue");
  return false;
}
