/**
 * A reply's prompt in tokens, counted before the call: what it holds against the day's token
 * quotas and in the provider's token bucket. Counted with the model's own tokenizer where a
 * maintained one fits: OpenAI's models (an id gpt-tokenizer, a port of OpenAI's tiktoken, knows,
 * bare or behind the Gateway's `openai/`), each with its encoding (o200k_base for GPT-4o, 4.1, 5
 * and the o-series, cl100k_base for GPT-4 and 3.5, o200k_harmony for gpt-oss). Otherwise (Claude,
 * an OpenAI-compatible server's own models, the demo) with lib/ai/token-estimate.ts's estimate,
 * calibrated per model against the prompt tokens the provider reports.
 *
 * Either way a message adds the estimate's overhead for its role and separators, and an
 * attachment the figure estimated when it was uploaded: the tokenizer makes the text exact, not
 * the provider's own accounting of images and PDFs.
 *
 * An encoding is loaded on the first reply that needs it (o200k_base is 2.4 MB of source, about
 * 30 MB of heap once loaded, a tenth of a second to load), never for a deployment whose models
 * have none. Counting takes about a millisecond per 6,000 tokens of history, on the reply's turn.
 */
import type { ChatUIMessage } from "@/lib/domain";
import { logger } from "@/lib/log";
import { PromptCalibration, estimatePromptTokens } from "./token-estimate";

type CountText = (text: string) => number;

/** The encodings of OpenAI's chat models, loaded on demand (literal specifiers, so the build sees them). */
const ENCODINGS = {
  o200k_base: () => import("gpt-tokenizer/encoding/o200k_base"),
  o200k_harmony: () => import("gpt-tokenizer/encoding/o200k_harmony"),
  cl100k_base: () => import("gpt-tokenizer/encoding/cl100k_base"),
} satisfies Record<string, () => Promise<{ countTokens: (text: string) => number }>>;

type EncodingName = keyof typeof ENCODINGS;

const loadedEncodings = new Map<EncodingName, Promise<CountText>>();

function loadEncoding(name: EncodingName): Promise<CountText> {
  let loaded = loadedEncodings.get(name);
  if (!loaded) {
    loaded = ENCODINGS[name]().then(({ countTokens }) => (text: string) => countTokens(text));
    // A failed load is tried again by the next reply, not remembered.
    loaded.catch(() => loadedEncodings.delete(name));
    loadedEncodings.set(name, loaded);
  }
  return loaded;
}

/**
 * The encoding model `id` is tokenized with, if it is one of the OpenAI chat models gpt-tokenizer
 * knows: the one its map names, else its default for current models (o200k_base), as it decides.
 */
async function encodingOf(id: string): Promise<EncodingName | undefined> {
  const [{ chatEnabledModels }, { modelToEncodingMap, DEFAULT_ENCODING }] = await Promise.all([
    import("gpt-tokenizer/modelsChatEnabled.gen"),
    import("gpt-tokenizer/mapping"),
  ]);
  const model = id.replace(/^openai\//, "");
  if (!(chatEnabledModels as readonly string[]).includes(model)) return undefined;
  const encoding: string = (modelToEncodingMap as Record<string, string>)[model] ?? DEFAULT_ENCODING;
  return encoding in ENCODINGS ? (encoding as EncodingName) : undefined;
}

/** A prompt's count: `estimate` is set when no tokenizer counted it (the plain estimate calibration learns from). */
export interface PromptCount {
  tokens: number;
  estimate?: number;
}

/** Prompt counts per model, in this process: by tokenizer where one fits, else calibrated estimates. */
export class PromptTokens {
  private readonly calibration = new PromptCalibration();
  private readonly tokenizers = new Map<string, Promise<CountText | undefined>>();

  async count(modelId: string, history: Pick<ChatUIMessage, "parts">[]): Promise<PromptCount> {
    const countText = await this.tokenizerOf(modelId);
    if (countText) return { tokens: estimatePromptTokens(history, countText) };
    const estimate = estimatePromptTokens(history);
    return { tokens: this.calibration.calibrated(modelId, estimate), estimate };
  }

  /** Learns from one call's reported prompt tokens, when its count was an estimate. */
  learn(modelId: string, count: PromptCount, reported: number): void {
    if (count.estimate !== undefined) this.calibration.learn(modelId, count.estimate, reported);
  }

  private tokenizerOf(modelId: string): Promise<CountText | undefined> {
    let tokenizer = this.tokenizers.get(modelId);
    if (!tokenizer) {
      tokenizer = encodingOf(modelId).then((name) => (name ? loadEncoding(name) : undefined));
      // Without its tokenizer (it failed to load) a prompt is estimated, and the load tried again next time.
      tokenizer = tokenizer.catch((error: unknown) => {
        logger.warn({ err: error, modelId }, "tokenizer failed to load; prompts estimated");
        this.tokenizers.delete(modelId);
        return undefined;
      });
      this.tokenizers.set(modelId, tokenizer);
    }
    return tokenizer;
  }
}
