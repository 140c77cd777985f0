/**
 * The nouns every layer shares (a plan, a chat and its messages, a reply job and its state), at
 * the bottom of the dependency graph: ports, the database and the domain modules all import them
 * from here, and this imports nothing of the app.
 */
import type { UIMessage } from "ai";

export type MessageRole = "user" | "assistant" | "system";

/** A chat message as the hot store and the database both hold it. Ids are made by the app. */
export interface StoredMessage {
  id: string;
  chatId: string;
  role: MessageRole;
  /** AI SDK UIMessage parts, stored as the client will render them. */
  parts: unknown[];
  /** Milliseconds since the epoch; with `id` it orders a chat. */
  createdAt: number;
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** A reply's cost in micro-dollars (lib/costs/reply-cost.ts); absent when its model has no price. */
  costMicros?: number;
  /** Set on replies that ended without completing, e.g. "interrupted" or "error". */
  status?: string;
  /**
   * The message this one follows: null for a chat's first message (or a new version of it).
   * Regenerated replies and edited messages are siblings of the versions before them, so a chat
   * is a tree and what it shows is one branch (lib/history/versions.ts). Absent on messages
   * written before versions existed: those follow the message before them.
   */
  parentId?: string | null;
  /** A reply's: which provider and key answered it (`model` says which model), and why it fell back if it did. */
  route?: ReplyRoute;
}

/**
 * Why a reply was answered by a model further down its plan's chain than the one asked for: the
 * earlier ones failed it, or had no headroom within the plan's wait budget (lib/jobs/reply-policy.ts).
 */
export type FallbackReason = "failed" | "no-headroom";

/** What answered a reply, besides its model: kept on its message, for the admin transcript and overview. */
export interface ReplyRoute {
  /** The model driver (openai, anthropic, openai-compatible, gateway, demo). */
  provider: string;
  /** The API key's public name (a digest, lib/ai/api-key-ids.ts), never the key. */
  keyId: string;
  fallback?: FallbackReason;
}

export interface ChatMeta {
  id: string;
  userId: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  /**
   * The message whose version the person last chose, sent or asked again: the chat shows its
   * ancestors, it, and its newest descendants. Absent: the newest branch.
   */
  selectedMessageId?: string;
}

/** The chat's own fields, without the hot store's bookkeeping: what clients and Postgres see. */
export function chatMeta({ id, userId, title, createdAt, updatedAt, selectedMessageId }: ChatMeta): ChatMeta {
  return { id, userId, title, createdAt, updatedAt, ...(selectedMessageId !== undefined && { selectedMessageId }) };
}

/** Where a message stands among its versions (itself and its siblings, oldest first). */
export interface MessageVersions {
  /** Zero-based position of the shown message among `ids`. */
  index: number;
  ids: string[];
}


/** What a model can read besides text: images (PNG, JPEG, GIF, WebP) and PDFs. */
export const ATTACHMENT_KINDS = ["image", "pdf"] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

/**
 * An attachment as a message holds it: a reference, never the bytes (those are in object storage,
 * served to the owner at /api/attachments/{id}, and read by the reply job for the model call).
 */
export interface AttachmentRef {
  id: string;
  name: string;
  mediaType: string;
  size: number;
  /** Estimated prompt tokens it adds to a model call (lib/attachments/attachment-content.ts). */
  tokens: number;
}

/** Data parts of a message besides the model's own chunks. */
export type ChatDataParts = {
  /** Place in line while the reply waits for a model slot (transient: never stored). */
  queue: { position: number; etaSeconds: number };
  /** A file sent with a user message, stored as a part of it (`data-attachment`). */
  attachment: AttachmentRef;
};

/** The attachments a message carries, in order (a stored message's parts are untyped, hence the shape check). */
export function messageAttachments(message: { parts: readonly unknown[] }): AttachmentRef[] {
  return message.parts.flatMap((part) => {
    const candidate = part as { type?: unknown; data?: AttachmentRef };
    return candidate.type === "data-attachment" && candidate.data ? [candidate.data] : [];
  });
}

export type ChatMessageMetadata = {
  createdAt: number;
  model?: string;
  status?: string;
  /** Only on a turn that has more than one version. */
  versions?: MessageVersions;
};

export type ChatUIMessage = UIMessage<ChatMessageMetadata, ChatDataParts>;

/** The readable text of a message: its text parts, in order. */
export function messageText(message: Pick<ChatUIMessage, "parts">): string {
  return message.parts
    .flatMap((part) => (part.type === "text" ? [part.text] : []))
    .join("\n\n");
}

/** The plans a user can be on, from the least to the most served. */
export const PLANS = ["guest", "free", "pro"] as const;

export type Plan = (typeof PLANS)[number];

/** Whose limits apply: a user's plan, or the admin policy whatever an admin's plan. */
export const TIERS = [...PLANS, "admin"] as const;

export type Tier = (typeof TIERS)[number];

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
  /** A guest's client address: their network's daily token quota is charged too (lib/limits/token-budget.ts). */
  network?: string;
  /** The chat's custom instructions when the message was sent (lib/instructions/): the reply's system message. */
  instructions?: string;
  /**
   * The sender's spending budgets in micro-dollars when the message was sent (lib/costs/spend-budget.ts),
   * absent when none applies: the reply reserves its most cost against them.
   */
  budget?: { dailyMicros?: number; monthlyMicros?: number };
}

/**
 * What a title job needs (lib/titles/write-title.ts), queued once a chat's first reply finished;
 * the same payload for the in-process runner and Inngest events.
 */
export interface TitleJob {
  chatId: string;
  userId: string;
  /** The model that answered the reply: the title is asked of it. */
  modelId: string;
  enqueuedAt: number;
}

/** A reply's life: lib/replies/reply-state.ts lists the moves between these. */
export type ReplyStatus = "queued" | "running" | "streaming" | "finished" | "failed" | "interrupted" | "stopped";

export interface ReplyState {
  replyId: string;
  chatId: string;
  userId: string;
  status: ReplyStatus;
  enqueuedAt: number;
  startedAt?: number;
  finishedAt?: number;
}

/** The admin acting, as the admin functions and the audit log name them. */
export interface AdminActor {
  userId: string;
  email: string;
}
