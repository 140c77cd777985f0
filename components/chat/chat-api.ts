/**
 * The browser's calls to the chat API, and one way to turn any failure (an error response, a
 * network failure, an error inside a reply stream) into something to show a person.
 */
import { APICallError } from "ai";
import type { ChatListPage } from "@/lib/history/history";
import type { AttachmentRef, ChatUIMessage } from "@/lib/domain";
import type { ShareStatus } from "@/lib/shares/chat-shares";

export type ChatSummary = ChatListPage["chats"][number];

export interface ApiProblem {
  message: string;
  code?: string;
  status?: number;
  requestId?: string;
  /** When sending is allowed again (ms since the epoch), for rate limits and quotas. */
  retryAt?: number;
}

export class ApiError extends Error {
  constructor(readonly problem: ApiProblem) {
    super(problem.message);
    this.name = "ApiError";
  }
}

const OFFLINE_MESSAGE = "We couldn't reach Stampede. Check your connection and try again.";

const MESSAGE_BY_STATUS: Record<number, string> = {
  401: "Your session has ended. Reload the page to continue.",
  404: "That chat no longer exists.",
  413: "That message is too long.",
  429: "You're sending messages too quickly.",
  503: "Stampede is very busy right now. Please try again in a moment.",
};

const GENERIC_MESSAGE = "Something went wrong on our side. Please try again.";

/** What an error response says, read from its `{ error: { ... } }` body and headers. */
export function problemFromResponseBody(
  status: number,
  body: string | undefined,
  headers?: { requestId?: string; retryAfterSeconds?: number },
): ApiProblem {
  const parsed = parseErrorBody(body);
  const retryAfterSeconds = parsed?.retryAfter ?? headers?.retryAfterSeconds;
  return {
    message: parsed?.message || MESSAGE_BY_STATUS[status] || GENERIC_MESSAGE,
    code: parsed?.code,
    status,
    requestId: parsed?.requestId ?? headers?.requestId,
    ...(status === 429 && retryAfterSeconds !== undefined && { retryAt: Date.now() + retryAfterSeconds * 1000 }),
  };
}

function parseErrorBody(body: string | undefined) {
  if (!body) return undefined;
  try {
    const json = JSON.parse(body) as { error?: { code?: unknown; message?: unknown; requestId?: unknown; retryAfter?: unknown } };
    const error = json.error;
    if (!error || typeof error !== "object") return undefined;
    return {
      code: typeof error.code === "string" ? error.code : undefined,
      message: typeof error.message === "string" ? error.message : undefined,
      requestId: typeof error.requestId === "string" ? error.requestId : undefined,
      retryAfter: typeof error.retryAfter === "number" ? error.retryAfter : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Any failure as an ApiProblem; `context` fills in what only the response headers said. */
export function problemFromError(
  error: unknown,
  context?: { requestId?: string; retryAfterSeconds?: number },
): ApiProblem {
  if (error instanceof ApiError) return error.problem;
  if (APICallError.isInstance(error) && error.statusCode !== undefined) {
    return problemFromResponseBody(error.statusCode, error.responseBody, context);
  }
  // fetch rejects with a TypeError when the network is down or the connection drops.
  if (error instanceof TypeError) return { message: OFFLINE_MESSAGE };
  // Errors inside a reply stream carry text the server wrote for people.
  if (error instanceof Error && error.message) return { message: error.message, requestId: context?.requestId };
  return { message: GENERIC_MESSAGE };
}

export function retryAfterFromHeaders(headers: Headers): number | undefined {
  const value = Number(headers.get("Retry-After"));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** fetch that turns a dropped connection or an error response into an ApiError for people. */
export async function request(url: string, init?: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError({ message: OFFLINE_MESSAGE });
  }
  if (!response.ok) {
    throw new ApiError(
      problemFromResponseBody(response.status, await response.text().catch(() => undefined), {
        requestId: response.headers.get("X-Request-Id") ?? undefined,
        retryAfterSeconds: retryAfterFromHeaders(response.headers),
      }),
    );
  }
  return response;
}

/** Uploads a file to send with a message (POST /api/attachments): its reference, or an ApiError saying why not. */
export async function uploadAttachment(file: File): Promise<AttachmentRef> {
  const response = await request(`/api/attachments?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
  return ((await response.json()) as { attachment: AttachmentRef }).attachment;
}

/** Where an attachment's bytes are served, to its owner only. */
export function attachmentUrl(id: string): string {
  return `/api/attachments/${encodeURIComponent(id)}`;
}

export async function fetchChats(
  { limit = 30, before, query }: { limit?: number; before?: number; query?: string },
  signal?: AbortSignal,
): Promise<ChatListPage> {
  const params = new URLSearchParams({ limit: String(limit) });
  if (before !== undefined) params.set("before", String(before));
  if (query) params.set("q", query);
  const response = await request(`/api/chats?${params}`, { signal, cache: "no-store" });
  return (await response.json()) as ChatListPage;
}

/** A chat's messages as the server has them now (GET /api/chats/{id}). */
export async function fetchChatMessages(chatId: string): Promise<ChatUIMessage[]> {
  const response = await request(`/api/chats/${encodeURIComponent(chatId)}`, { cache: "no-store" });
  return ((await response.json()) as { messages: ChatUIMessage[] }).messages;
}

/** Renames a chat (PATCH /api/chats/{id}); resolves with the title the server kept. */
export async function renameChat(chatId: string, title: string): Promise<string> {
  const response = await request(`/api/chats/${encodeURIComponent(chatId)}`, {
    method: "PATCH",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ title }),
  });
  return ((await response.json()) as { chat: ChatSummary }).chat.title;
}

/** Shows another version of a turn (POST /api/chats/{id}/versions); resolves with the branch now shown. */
export async function showMessageVersion(chatId: string, messageId: string): Promise<ChatUIMessage[]> {
  const response = await request(`/api/chats/${encodeURIComponent(chatId)}/versions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ messageId }),
  });
  return ((await response.json()) as { messages: ChatUIMessage[] }).messages;
}

export async function deleteChat(chatId: string): Promise<void> {
  await request(`/api/chats/${encodeURIComponent(chatId)}`, { method: "DELETE" });
}

/**
 * Stops the reply wherever it runs; the stream this tab reads is aborted separately. `shownChars`
 * is how much of the reply's text is on screen: the server keeps the reply as it was seen.
 */
export async function stopReply(chatId: string, shownChars: number | undefined): Promise<void> {
  await request(`/api/chat/${encodeURIComponent(chatId)}/stop`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ shownChars }),
  });
}

/** Whether the chat is shared, since when and at which link (GET /api/chats/{id}/share). */
export async function fetchShareStatus(chatId: string): Promise<ShareStatus> {
  const response = await request(`/api/chats/${encodeURIComponent(chatId)}/share`, { cache: "no-store" });
  return (await response.json()) as ShareStatus;
}

/** Shares the chat as it shows now, replacing an earlier link (POST /api/chats/{id}/share). */
export async function shareChat(chatId: string): Promise<ShareStatus> {
  const response = await request(`/api/chats/${encodeURIComponent(chatId)}/share`, { method: "POST" });
  return (await response.json()) as ShareStatus;
}

/** Stops sharing the chat: its link answers 404 (DELETE /api/chats/{id}/share). */
export async function revokeShare(chatId: string): Promise<void> {
  await request(`/api/chats/${encodeURIComponent(chatId)}/share`, { method: "DELETE" });
}
