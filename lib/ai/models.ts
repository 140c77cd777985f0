/**
 * The model port: one way to get an AI SDK language model by id, whatever provider is configured.
 * Tests and load runs reach a local provider double through the OpenAI-compatible adapter, so the
 * real client code runs.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createGateway } from "@ai-sdk/gateway";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModelV4 } from "@ai-sdk/provider";
import type { AppConfig, ModelDriver } from "@/lib/config";
import { ATTACHMENT_KINDS, type AttachmentKind } from "@/lib/domain";
import { AppError } from "@/lib/errors";
import { apiKeyIds } from "./api-key-ids";
import { createDemoModel } from "./demo-model";
import { PromptTokens } from "./prompt-tokens";

export interface ModelInfo {
  id: string;
  label: string;
  /** What it reads besides text, for the composer to say which files it takes. */
  attachments: readonly AttachmentKind[];
}

export interface ModelProvider {
  readonly driver: ModelDriver;
  /** The models offered to users; the first is the default. */
  readonly models: ModelInfo[];
  readonly defaultModelId: string;
  readonly fallbackModelId?: string;
  /** Throws invalid_request for an id that is not offered. */
  resolveModelId(requested: string | undefined): string;
  /** Keys in the provider's pool (OPENAI_API_KEYS, …), at least 1. */
  readonly keys: number;
  /** The model `id` called with key number `key` of the pool (default the first). */
  languageModel(id: string, key?: number): LanguageModelV4;
  /** Key number `key`'s public name (lib/ai/api-key-ids.ts). */
  keyId(key: number): string;
  /** Each model's prompts counted before the call: by its tokenizer, else estimated and calibrated (lib/ai/prompt-tokens.ts). */
  readonly promptTokens: PromptTokens;
  /** Estimated tokens of history a reply by this model may send (LLM_HISTORY_TOKENS[_BY_MODEL]). */
  historyBudget(id: string): number;
  /** What the model reads besides text: LLM_ATTACHMENTS_BY_MODEL, else its family's (below). */
  attachmentKinds(id: string): readonly AttachmentKind[];
}

/**
 * Model families known to read images and PDFs through the AI SDK's providers (OpenAI's GPT-4o,
 * 4.1, 5 and o-series chat models, Anthropic's Claude 3 and later, the same behind the Gateway).
 * Anything else, an OpenAI-compatible server's models included, reads text only unless
 * LLM_ATTACHMENTS_BY_MODEL says otherwise. The demo model acknowledges what it is sent.
 */
const ATTACHMENT_READERS = /^(openai\/|anthropic\/)?(gpt-4o|gpt-4\.1|gpt-5|o[134]|claude-)/;

function defaultAttachmentKinds(driver: ModelDriver, id: string): readonly AttachmentKind[] {
  if (driver === "demo") return ATTACHMENT_KINDS;
  return driver !== "openai-compatible" && ATTACHMENT_READERS.test(id) ? ATTACHMENT_KINDS : [];
}

/** What model `id` reads besides text: LLM_ATTACHMENTS_BY_MODEL's entry, else its family's. */
export function attachmentKindsFor(config: Pick<AppConfig["model"], "driver" | "attachmentsByModel">, id: string): readonly AttachmentKind[] {
  return config.attachmentsByModel[id] ?? defaultAttachmentKinds(config.driver, id);
}

export function createModelProvider(config: AppConfig["model"]): ModelProvider {
  // One provider per key: the AI SDK's providers hold their key.
  const factories = (config.apiKeys.length > 0 ? config.apiKeys : [undefined]).map((apiKey) => memoized(buildFactory(config, apiKey)));
  const keyIds = apiKeyIds(config.apiKeys);
  const offered = new Set(config.models);
  const attachmentKinds = (id: string) => attachmentKindsFor(config, id);
  const models = config.models.map((id) => ({ id, label: config.driver === "demo" ? "Demo model" : id, attachments: attachmentKinds(id) }));
  return {
    driver: config.driver,
    models,
    defaultModelId: config.models[0],
    fallbackModelId: config.fallbackModel,
    resolveModelId(requested) {
      if (requested === undefined) return config.models[0];
      if (!offered.has(requested)) {
        throw new AppError("invalid_request", `Unknown model "${requested}". Choose one of: ${config.models.join(", ")}`);
      }
      return requested;
    },
    keys: factories.length,
    languageModel: (id, key = 0) => (factories[key] ?? factories[0])(id),
    keyId: (key) => keyIds[key] ?? keyIds[0],
    promptTokens: new PromptTokens(),
    historyBudget: (id) => config.historyTokens.byModel[id] ?? config.historyTokens.default,
    attachmentKinds,
  };
}

/**
 * One model object per id and key, made on first use. A model is only its settings and the
 * schemas it checks the provider's chunks with, and building those schemas again for every call
 * took about 0.6 ms of the server's one thread per reply, 3% of its time in a burst.
 */
function memoized(factory: (id: string) => LanguageModelV4): (id: string) => LanguageModelV4 {
  const made = new Map<string, LanguageModelV4>();
  return (id) => {
    let model = made.get(id);
    if (!model) made.set(id, (model = factory(id)));
    return model;
  };
}

function buildFactory(config: AppConfig["model"], apiKey: string | undefined): (id: string) => LanguageModelV4 {
  switch (config.driver) {
    case "openai-compatible": {
      const provider = createOpenAICompatible({
        name: "openai-compatible",
        baseURL: config.baseUrl!,
        apiKey,
        includeUsage: true,
      });
      return (id) => provider.chatModel(id);
    }
    case "openai": {
      const provider = createOpenAI({ apiKey });
      return (id) => provider.chat(id);
    }
    case "anthropic": {
      const provider = createAnthropic({ apiKey });
      return (id) => provider.languageModel(id);
    }
    case "gateway": {
      const provider = createGateway({ apiKey });
      return (id) => provider.languageModel(id);
    }
    case "demo": {
      const model = createDemoModel({ delayMs: config.demoDelayMs });
      return () => model;
    }
  }
}
