/**
 * How useChat talks to /api/chat: the body carries only what the server needs (the new message,
 * or a regenerate/edit instruction), never the whole history, and resuming a reply goes to
 * /api/chat/{id}/stream. Each response's headers are reported for request ids and remaining quota.
 * A reply stream that ends without its terminal chunk (the connection was cut: a proxy, a
 * platform limit, a lost instance) is reported through `onCut`, so the chat can resume it.
 */
import { DefaultChatTransport, type UIMessageChunk } from "ai";
import { messageAttachments, messageText, type ChatUIMessage } from "@/lib/domain";
import { retryAfterFromHeaders } from "./chat-api";

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

/** Every reply stream the server sends ends with one of these (lib/replies/relay.ts). */
function isTerminalChunk(chunk: UIMessageChunk): boolean {
  return chunk.type === "finish" || chunk.type === "abort";
}

/** Passes a reply stream on, calling `onCut` if it ends without its terminal chunk. */
function watchForCut(stream: ReadableStream<UIMessageChunk>, onCut: () => void): ReadableStream<UIMessageChunk> {
  let ended = false;
  return stream.pipeThrough(
    new TransformStream<UIMessageChunk, UIMessageChunk>({
      transform(chunk, controller) {
        if (isTerminalChunk(chunk)) ended = true;
        controller.enqueue(chunk);
      },
      flush() {
        if (!ended) onCut();
      },
    }),
  );
}

class ChatTransport extends DefaultChatTransport<ChatUIMessage> {
  constructor(
    options: ConstructorParameters<typeof DefaultChatTransport<ChatUIMessage>>[0],
    private readonly onCut: () => void,
  ) {
    super(options);
  }

  override async sendMessages(options: Parameters<DefaultChatTransport<ChatUIMessage>["sendMessages"]>[0]) {
    return watchForCut(await super.sendMessages(options), this.onCut);
  }

  override async reconnectToStream(options: Parameters<DefaultChatTransport<ChatUIMessage>["reconnectToStream"]>[0]) {
    const stream = await super.reconnectToStream(options);
    return stream && watchForCut(stream, this.onCut);
  }
}

export function createChatTransport({
  getModel,
  onResponse,
  onCut,
}: {
  getModel: () => string | undefined;
  onResponse: (info: ChatResponseInfo) => void;
  /** A reply stream ended without its end; a resume (a replay from its start) picks it up. */
  onCut: () => void;
}): DefaultChatTransport<ChatUIMessage> {
  return new ChatTransport({
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
      const attachments = messageAttachments(last).map((attachment) => attachment.id);
      return { body: { chatId: id, messageId: last.id, text: messageText(last), model, editOf, ...(attachments.length > 0 && { attachments }) } };
    },
    // From the reply's start: the SDK replaces the message shown with the replay (resumeStreamIsReplay).
    prepareReconnectToStreamRequest: ({ id }) => ({ api: `/api/chat/${encodeURIComponent(id)}/stream` }),
  }, onCut);
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
