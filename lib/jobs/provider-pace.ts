/**
 * The provider's configured capacity as a pace of model-call starts: what the capacity buckets
 * both job runners take their starts from begin with (lib/jobs/provider-capacity.ts).
 */
import type { AppConfig } from "@/lib/config";

type LlmLimits = Pick<AppConfig["llm"], "rpm" | "tpm" | "tokensPerReply">;

/**
 * Replies that may start per minute: LLM_RPM, lowered when LLM_TPM is set and the token
 * estimate per reply (LLM_TOKENS_PER_REPLY) would use it up first. May be fractional.
 */
export function startsPerMinute({ rpm, tpm, tokensPerReply }: LlmLimits): number {
  return tpm === undefined ? rpm : Math.min(rpm, tpm / tokensPerReply);
}
