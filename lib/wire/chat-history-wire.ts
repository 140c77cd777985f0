/**
 * One chat's history on the wire: the JSON answer of GET /api/chats/{id}, or the leaner
 * Protocol Buffers one (proto/chat_history.proto) when the request's Accept prefers it.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { toUIMessage } from "@/lib/history/history";
import type { ChatMeta, MessageRole } from "@/lib/domain";
import type { ShownMessage } from "@/lib/history/versions";
import { negotiatedResponse, pickMediaType } from "@/lib/http/negotiate";
import { ChatHistorySchema, PartSchema, Role, type Part } from "./gen/chat_history_pb";

export const JSON_MEDIA_TYPE = "application/json";
export const PROTOBUF_MEDIA_TYPE = "application/x-protobuf";

export interface ChatHistory {
  chat: ChatMeta;
  /** The branch the chat shows, each message with its turn's versions when it has several. */
  messages: ShownMessage[];
}

export function chatHistoryResponse(request: Request, history: ChatHistory): Response {
  const type = pickMediaType(request.headers.get("accept"), [JSON_MEDIA_TYPE, PROTOBUF_MEDIA_TYPE]);
  const body = type === PROTOBUF_MEDIA_TYPE ? encodeChatHistory(history) : encodeChatHistoryJson(history);
  return negotiatedResponse(body, type);
}

/** The JSON answer: the chat and its messages as the AI SDK client renders them. */
export function encodeChatHistoryJson({ chat, messages }: ChatHistory): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(JSON.stringify({ chat, messages: messages.map(toUIMessage) }));
}

const ROLES: Record<MessageRole, Role> = { user: Role.USER, assistant: Role.ASSISTANT, system: Role.SYSTEM };
const ROLE_NAMES = new Map(Object.entries(ROLES).map(([name, role]) => [role, name as MessageRole]));

export function encodeChatHistory({ chat, messages }: ChatHistory): Uint8Array<ArrayBuffer> {
  return toBinary(
    ChatHistorySchema,
    create(ChatHistorySchema, {
      chat: { ...chat, createdAt: BigInt(chat.createdAt), updatedAt: BigInt(chat.updatedAt) },
      messages: messages.map((message) => ({
        id: message.id,
        role: ROLES[message.role],
        createdAt: BigInt(message.createdAt),
        model: message.model,
        status: message.status,
        inputTokens: message.inputTokens,
        outputTokens: message.outputTokens,
        parts: message.parts.map(toWirePart),
        versions: message.versions,
      })),
    }),
  );
}

export function decodeChatHistory(bytes: Uint8Array): ChatHistory {
  const decoded = fromBinary(ChatHistorySchema, bytes);
  if (!decoded.chat) throw new Error("Chat history without its chat");
  const { chat } = decoded;
  return {
    chat: {
      id: chat.id,
      userId: chat.userId,
      title: chat.title,
      createdAt: Number(chat.createdAt),
      updatedAt: Number(chat.updatedAt),
    },
    messages: decoded.messages.map((message) => {
      const role = ROLE_NAMES.get(message.role);
      if (!role) throw new Error(`Message ${message.id} has no known role`);
      return {
        id: message.id,
        chatId: chat.id,
        role,
        parts: message.parts.map(fromWirePart),
        createdAt: Number(message.createdAt),
        ...(message.model !== undefined && { model: message.model }),
        ...(message.status !== undefined && { status: message.status }),
        ...(message.inputTokens !== undefined && { inputTokens: message.inputTokens }),
        ...(message.outputTokens !== undefined && { outputTokens: message.outputTokens }),
        ...(message.versions && { versions: { index: message.versions.index, ids: message.versions.ids } }),
      };
    }),
  };
}

interface PlainTextPart {
  type: "text";
  text: string;
  state?: string;
}

/** A text part with no field beyond `text` and `state`: one TextPart carries all of it. */
function isPlainTextPart(part: unknown): part is PlainTextPart {
  if (typeof part !== "object" || part === null) return false;
  const { type, text, state, ...rest } = part as Record<string, unknown>;
  return (
    type === "text" &&
    typeof text === "string" &&
    (state === undefined || typeof state === "string") &&
    Object.keys(rest).length === 0
  );
}

function toWirePart(part: unknown): Part {
  return create(PartSchema, {
    kind: isPlainTextPart(part)
      ? { case: "text", value: { text: part.text, state: part.state } }
      : { case: "json", value: JSON.stringify(part) },
  });
}

function fromWirePart({ kind }: Part): unknown {
  switch (kind.case) {
    case "text":
      return { type: "text", text: kind.value.text, ...(kind.value.state !== undefined && { state: kind.value.state }) };
    case "json":
      return JSON.parse(kind.value);
    default:
      throw new Error("Message part of an unknown kind");
  }
}
