/**
 * How useChat talks to /api/chat: the body carries only what the server needs (the new message,
 * or a regenerate/edit instruction), never the whole history, and resuming a reply goes to
 * /api/chat/{id}/stream. Each response's headers are reported for request ids and remaining quota.
 */
import { DefaultChatTransport } from "ai";
import type { ChatUIMessage } from "@/lib/chat/types";
import { retryAfterFromHeaders } from "./chat-api";
import { messageText } from "@/lib/chat/message-text";

export interface ChatResponseInfo {
  /** A POST to /api/chat, or a GET resuming a reply. */
  request: "send" | "resume";
  ok: boolean;
  status: number;
  requestId?: string;
  retryAfterSeconds?: number;
  /** Messages left today (the `X-Messages-Remaining-Today` header), when the server sends it. */
  remaining?: number;
}

/** Extra body fields a caller passes through `sendMessage(message, { body })`. */
export interface SendOptionsBody {
  editOf?: string;
}

export function createChatTransport({
  getModel,
  onResponse,
}: {
  getModel: () => string | undefined;
  onResponse: (info: ChatResponseInfo) => void;
}): DefaultChatTransport<ChatUIMessage> {
  return new DefaultChatTransport<ChatUIMessage>({
    api: "/api/chat",
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      onResponse(readResponseInfo(response, init?.method === "POST" ? "send" : "resume"));
      return response;
    },
    prepareSendMessagesRequest: ({ id, messages, trigger, body }) => {
      const model = getModel();
      if (trigger === "regenerate-message") return { body: { chatId: id, regenerate: true, model } };
      const last = messages.at(-1);
      if (!last) throw new Error("There is no message to send.");
      const { editOf } = (body ?? {}) as SendOptionsBody;
      return { body: { chatId: id, messageId: last.id, text: messageText(last), model, editOf } };
    },
    prepareReconnectToStreamRequest: ({ id }) => ({ api: `/api/chat/${encodeURIComponent(id)}/stream` }),
  });
}

function readResponseInfo(response: Response, request: ChatResponseInfo["request"]): ChatResponseInfo {
  const remaining = Number(response.headers.get("X-Messages-Remaining-Today") ?? Number.NaN);
  return {
    request,
    ok: response.ok,
    status: response.status,
    requestId: response.headers.get("X-Request-Id") ?? undefined,
    retryAfterSeconds: retryAfterFromHeaders(response.headers),
    ...(Number.isFinite(remaining) && remaining >= 0 && { remaining }),
  };
}
