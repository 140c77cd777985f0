/**
 * The built-in demo model: used when no provider is configured, so a fresh clone chats at once.
 * It streams a deterministic, clearly labelled reply at a steady token pace, like a real model.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from "@ai-sdk/provider";

export const DEMO_MODEL_ID = "demo";

function lastUserText(prompt: LanguageModelV4Prompt): string {
  for (let index = prompt.length - 1; index >= 0; index -= 1) {
    const message = prompt[index];
    if (message.role !== "user") continue;
    return message.content
      .map((part) => (part.type === "text" ? part.text : ""))
      .join(" ")
      .trim();
  }
  return "";
}

function promptLength(prompt: LanguageModelV4Prompt): number {
  return prompt.reduce((total, message) => {
    if (typeof message.content === "string") return total + message.content.length;
    return total + message.content.reduce((sum, part) => sum + ("text" in part ? String(part.text).length : 0), 0);
  }, 0);
}

/** The reply text for a prompt: a pure function, so tests and the UI can predict it. */
export function demoReplyText(userText: string, turn: number): string {
  const quoted = userText.length > 160 ? `${userText.slice(0, 157)}...` : userText;
  return [
    `**Demo model** (no provider configured): this reply is generated locally, not by an LLM.`,
    ``,
    `You said: "${quoted}"`,
    ``,
    `This is turn ${turn} of the conversation. Set \`OPENAI_BASE_URL\`, \`OPENAI_API_KEY\`, ` +
      `\`ANTHROPIC_API_KEY\` or \`AI_GATEWAY_API_KEY\` to talk to a real model.`,
  ].join("\n");
}

/** Splits text into word-sized tokens that keep their whitespace, so joining them restores it. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+|\s+/g) ?? [];
}

function usage(inputChars: number, outputTokens: number): LanguageModelV4Usage {
  const inputTokens = Math.ceil(inputChars / 4);
  return {
    inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}

export function createDemoModel({ delayMs }: { delayMs: number }): LanguageModelV4 {
  const reply = (options: LanguageModelV4CallOptions) => {
    const turn = options.prompt.filter((message) => message.role === "user").length;
    return demoReplyText(lastUserText(options.prompt), turn);
  };

  return {
    specificationVersion: "v4",
    provider: "stampede-demo",
    modelId: DEMO_MODEL_ID,
    supportedUrls: {},

    async doGenerate(options) {
      const text = reply(options);
      return {
        content: [{ type: "text", text }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: usage(promptLength(options.prompt), tokenize(text).length),
        warnings: [],
      };
    },

    async doStream(options) {
      const tokens = tokenize(reply(options));
      const inputChars = promptLength(options.prompt);
      const signal = options.abortSignal;
      let timer: ReturnType<typeof setTimeout> | undefined;

      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        async start(controller) {
          controller.enqueue({ type: "stream-start", warnings: [] });
          controller.enqueue({ type: "text-start", id: "text-0" });
          for (const token of tokens) {
            if (signal?.aborted) break;
            await new Promise<void>((resolve) => {
              timer = setTimeout(resolve, delayMs);
            });
            controller.enqueue({ type: "text-delta", id: "text-0", delta: token });
          }
          controller.enqueue({ type: "text-end", id: "text-0" });
          controller.enqueue({
            type: "finish",
            finishReason: signal?.aborted ? { unified: "interrupted", raw: "aborted" } : { unified: "stop", raw: "stop" },
            usage: usage(inputChars, tokens.length),
          });
          controller.close();
        },
        cancel() {
          clearTimeout(timer);
        },
      });
      return { stream };
    },
  };
}
