/**
 * A model's reply as AI SDK UI message chunks, read straight from the provider's stream
 * (`LanguageModelV4.doStream`). It yields what `streamText` + `toUIMessageStream` yield for a reply
 * of text and reasoning, and builds the same message parts (tests/model-stream.test.ts compares
 * the two on the same model streams), without their chain of a dozen transform streams and a
 * schema check per chunk: with a thousand replies streaming, that chain was the largest share of
 * an instance's CPU, and setting it up a millisecond of every reply's time to first token.
 *
 * Stampede sends no tools (a system message only when the chat has custom instructions; a user
 * message's attachments as file parts), so a reply is one step of text and reasoning.
 * Retries are the job runner's (lib/jobs), paced by its queue, so none happen here.
 */
import type {
  LanguageModelV4,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from "@ai-sdk/provider";
import type { UIMessageChunk } from "ai";
import { messageAttachments, type ChatMessageMetadata, type ChatUIMessage } from "@/lib/domain";

export interface ModelReplyOptions {
  history: ChatUIMessage[];
  /** The bytes of the history's attachments, by id (lib/attachments): sent as file parts. */
  attachments?: ReadonlyMap<string, Uint8Array>;
  signal: AbortSignal;
  messageId: string;
  metadata: ChatMessageMetadata;
  /** What the reader is told when the model fails; the provider's error goes to `outcome.error`. */
  errorText: string;
  /** The provider stops the reply here (the sender's plan, lib/limits/policies.ts). */
  maxOutputTokens: number;
  /**
   * Called once the provider answered the call (with the response headers, before the first
   * token) or refused it (with the error): what the scheduler learns the provider's capacity from.
   */
  onAnswer?: (answer: { headers?: Record<string, string> } | { error: unknown }) => void;
}

export interface ModelReplyOutcome {
  /** The reply's parts as useChat builds them from the chunks: what the history stores. */
  parts: ChatUIMessage["parts"];
  usage?: { inputTokens?: number; outputTokens?: number };
  /** The provider's error, when the call failed or its stream broke off. */
  error?: unknown;
}

type StreamingPart = Extract<ChatUIMessage["parts"][number], { type: "text" | "reasoning" }>;

/**
 * Starts the model call and yields the reply's chunks: "start", "start-step", the text and
 * reasoning chunks, then "finish-step" and "finish"; or an "error" chunk where the model failed
 * (with nothing after it, as toUIMessageStream ends), or an "abort" chunk once `signal` aborts.
 * `outcome` is complete once the chunks are.
 */
export function streamModelReply(
  model: LanguageModelV4,
  options: ModelReplyOptions,
): { chunks: AsyncGenerator<UIMessageChunk>; outcome: ModelReplyOutcome } {
  const outcome: ModelReplyOutcome = { parts: [] };
  // Called now, not on the first read: the request is on its way while the caller gets ready. In
  // an async function, so a provider that throws rather than rejects fails the same way.
  const call = (async () => model.doStream({ prompt: toModelPrompt(options.history, options.attachments), abortSignal: options.signal, maxOutputTokens: options.maxOutputTokens }))();
  // Awaited by the chunks; a failure before that is reported there, not as unhandled.
  call.then(
    (result) => options.onAnswer?.({ headers: result.response?.headers }),
    (error: unknown) => options.onAnswer?.({ error }),
  );
  return { chunks: replyChunks(call, options, outcome), outcome };
}

async function* replyChunks(
  call: Promise<Awaited<ReturnType<LanguageModelV4["doStream"]>>>,
  { signal, messageId, metadata, errorText }: ModelReplyOptions,
  outcome: ModelReplyOutcome,
): AsyncGenerator<UIMessageChunk> {
  yield { type: "start", messageId, messageMetadata: metadata };
  const open = new Map<string, StreamingPart>();
  let finishReason: Extract<UIMessageChunk, { type: "finish" }>["finishReason"];
  try {
    const { stream } = await call;
    yield { type: "start-step" };
    outcome.parts.push({ type: "step-start" });
    for await (const part of stream as AsyncIterable<LanguageModelV4StreamPart>) {
      // A provider may end its stream gracefully when aborted (the demo model does) or not at all
      // until its next part: either way the reader's stream ends here, as stopped.
      if (signal.aborted) break;
      switch (part.type) {
        case "text-start":
        case "reasoning-start": {
          const kind = kindOf(part.type);
          // The SDK keeps a reasoning part's id in the message (not a text part's); so does this.
          const started: StreamingPart = {
            type: kind,
            ...(kind === "reasoning" && { id: part.id }),
            text: "",
            state: "streaming",
            ...metadataOf(part),
          };
          open.set(`${kind}:${part.id}`, started);
          outcome.parts.push(started);
          yield { type: part.type, id: part.id, ...metadataOf(part) };
          break;
        }
        case "text-delta":
        case "reasoning-delta": {
          const streaming = open.get(`${kindOf(part.type)}:${part.id}`);
          if (streaming) streaming.text += part.delta;
          yield { type: part.type, id: part.id, delta: part.delta };
          break;
        }
        case "text-end":
        case "reasoning-end": {
          const key = `${kindOf(part.type)}:${part.id}`;
          const ended = open.get(key);
          if (ended) Object.assign(ended, { state: "done" }, metadataOf(part));
          open.delete(key);
          yield { type: part.type, id: part.id, ...metadataOf(part) };
          break;
        }
        case "finish":
          finishReason = part.finishReason.unified;
          outcome.usage = usageOf(part.usage);
          break;
        case "error":
          throw part.error;
        // Nothing else reaches the reader: stream-start, response-metadata, raw chunks, and the
        // tool, file and source parts a reply without tools does not have.
      }
    }
  } catch (error) {
    // Once stopped, what the call threw is the stop itself: the reply ends as aborted below.
    if (!signal.aborted) {
      outcome.error = error;
      yield { type: "error", errorText };
      return;
    }
  }
  if (signal.aborted) {
    yield { type: "abort" };
    return;
  }
  yield { type: "finish-step" };
  yield { type: "finish", ...(finishReason && { finishReason }) };
}

/**
 * The history as the provider's prompt: each message's text (and a reply's reasoning), and a user
 * message's attachments after its text, as file parts with their bytes (`attachments`; one whose
 * bytes are gone is left out).
 */
export function toModelPrompt(history: ChatUIMessage[], attachments: ReadonlyMap<string, Uint8Array> = new Map()): LanguageModelV4Prompt {
  const prompt: LanguageModelV4Prompt = [];
  for (const message of history) {
    const texts = message.parts.flatMap((part) =>
      part.type === "text" ? [{ type: "text" as const, text: part.text, ...providerOptionsOf(part) }] : [],
    );
    if (message.role === "system") {
      const text = texts.map((part) => part.text).join("");
      if (text) prompt.push({ role: "system", content: text });
    } else if (message.role === "user") {
      const files = messageAttachments(message).flatMap((ref) => {
        const bytes = attachments.get(ref.id);
        return bytes ? [{ type: "file" as const, mediaType: ref.mediaType, filename: ref.name, data: { type: "data" as const, data: bytes } }] : [];
      });
      if (texts.length + files.length > 0) prompt.push({ role: "user", content: [...texts, ...files] });
    } else {
      const content = message.parts.flatMap((part) =>
        part.type === "text" || part.type === "reasoning" ? [{ type: part.type, text: part.text, ...providerOptionsOf(part) }] : [],
      );
      // A reply that failed before its first token has nothing to say to the model.
      if (content.length > 0) prompt.push({ role: "assistant", content });
    }
  }
  return prompt;
}

function kindOf(type: `${"text" | "reasoning"}-${string}`): "text" | "reasoning" {
  return type.startsWith("text") ? "text" : "reasoning";
}

/** What the provider attached to a part, kept on the part and passed on with its chunks. */
function metadataOf(part: { providerMetadata?: StreamingPart["providerMetadata"] }) {
  return part.providerMetadata ? { providerMetadata: part.providerMetadata } : {};
}

/** What the provider attached to a part comes back to it with the part, as its options. */
function providerOptionsOf(part: StreamingPart) {
  return part.providerMetadata ? { providerOptions: part.providerMetadata } : {};
}

function usageOf(usage: LanguageModelV4Usage): ModelReplyOutcome["usage"] {
  return { inputTokens: usage.inputTokens.total, outputTokens: usage.outputTokens.total };
}
