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
import { predictableTitle, TITLE_INSTRUCTION } from "@/lib/ai/title-instruction";

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

/** The files of the latest user message: what the demo reply says it received. */
function lastUserFiles(prompt: LanguageModelV4Prompt): { name: string; mediaType: string; size: number }[] {
  const message = prompt.findLast((entry) => entry.role === "user");
  if (!message || message.role !== "user") return [];
  return message.content.flatMap((part) =>
    part.type === "file"
      ? [{ name: part.filename ?? "file", mediaType: part.mediaType, size: part.data.type === "data" && typeof part.data.data !== "string" ? part.data.data.byteLength : 0 }]
      : [],
  );
}

function promptLength(prompt: LanguageModelV4Prompt): number {
  return prompt.reduce((total, message) => {
    if (typeof message.content === "string") return total + message.content.length;
    return total + message.content.reduce((sum, part) => sum + ("text" in part ? String(part.text).length : 0), 0);
  }, 0);
}

/**
 * What a reply can hold, shown off: a newcomer's first reply has a list, a table and a code block,
 * later turns one of them each, so the chat shows what it renders without a provider.
 */
const SHOWCASES = {
  list: ["What this chat does for you:", "", "- Replies stream in as they are written", "- A reload picks a reply up where it was", "- Your place in line shows while you wait"],
  table: ["| Plan | Messages a day |", "| --- | --- |", "| Guest | a few |", "| Free account | more |"],
  code: ["```ts", "const reply = await chat.send(\"Hello\");", "console.log(reply.text);", "```"],
} as const;
const LATER_TURNS = [SHOWCASES.code, SHOWCASES.list, SHOWCASES.table] as const;

/** The reply text for a prompt: a pure function, so tests and the UI can predict it. */
export function demoReplyText(userText: string, turn: number, files: { name: string; mediaType: string; size: number }[] = []): string {
  const oneLine = userText.replace(/\s+/g, " ");
  const quoted = oneLine.length > 160 ? `${oneLine.slice(0, 157)}...` : oneLine;
  // Named so a reader (and the end-to-end tests) can see what reached the model.
  const received = files.map((file) => `- Received ${file.name} (${file.mediaType}, ${file.size.toLocaleString("en-US")} bytes)`);
  const showcase = turn <= 1 ? [...SHOWCASES.list, "", ...SHOWCASES.table, "", ...SHOWCASES.code] : LATER_TURNS[turn % LATER_TURNS.length];
  return [
    `**Demo model** (no provider configured): this reply is generated locally, not by an LLM.`,
    ``,
    ...(quoted ? [`> ${quoted}`, ``] : []),
    ...(received.length > 0 ? [...received, ``] : []),
    ...showcase,
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
    // A title request (lib/titles) gets a title, not a demo reply.
    if (options.prompt.some((message) => message.role === "system" && message.content === TITLE_INSTRUCTION)) {
      return predictableTitle(lastUserText(options.prompt));
    }
    const turn = options.prompt.filter((message) => message.role === "user").length;
    return demoReplyText(lastUserText(options.prompt), turn, lastUserFiles(options.prompt));
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
