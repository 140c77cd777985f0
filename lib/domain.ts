import type { UIMessage } from "ai";

/** Data parts the reply stream carries besides the model's own chunks. */
export type ChatDataParts = {
  /** Place in line while the reply waits for a model slot (transient: never stored). */
  queue: { position: number; etaSeconds: number };
};

export type ChatMessageMetadata = {
  createdAt: number;
  model?: string;
  status?: string;
};

export type ChatUIMessage = UIMessage<ChatMessageMetadata, ChatDataParts>;

export type Tier = "guest" | "free" | "pro" | "admin";

/** What a reply job needs; the same payload for the in-process runner and Inngest events. */
export interface ReplyJob {
  replyId: string;
  chatId: string;
  userId: string;
  tier: Tier;
  modelId: string;
  /** The user message this reply answers; history is cut after it. */
  userMessageId: string;
  enqueuedAt: number;
}

export type ReplyStatus = "queued" | "running" | "done" | "failed" | "cancelled";

export interface ReplyState {
  replyId: string;
  chatId: string;
  userId: string;
  status: ReplyStatus;
  enqueuedAt: number;
  startedAt?: number;
  finishedAt?: number;
}
