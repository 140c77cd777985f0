/**
 * May this viewer send this chat message now? Checked before a message is accepted, against the
 * viewer's tier (lib/limits/policies.ts): message length, pace (per minute and burst), messages
 * and tokens per day, and for guests the allowance of their IP, which every guest session from
 * that address shares. A reply's tokens are reserved by its job, once its prompt is known, and
 * settled when it ends (lib/limits/token-budget.ts); a message is refused here already when its
 * quotas could not cover the longest reply the plan allows.
 */
import type { AppConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import type { Tier } from "@/lib/domain";
import { enforceLimits, rateLimitHeaders, type LimitCheck, type LimitDeps } from "./enforce-limits";
import { maxMessageLengthFor, TIER_POLICIES, tierRuleName } from "./policies";
import { tokenQuotaMessage } from "./token-budget";

export interface ChatAllowanceDeps extends LimitDeps {
  config: Pick<AppConfig, "chat" | "limits">;
}

export interface ChatAllowanceRequest {
  viewer: { userId: string; tier: Tier };
  /** From clientIpFrom (lib/limits/client-ip.ts). */
  clientIp: string;
  textLength: number;
}

export interface ChatAllowance {
  /** RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset, for the response. */
  headers: Record<string, string>;
  /** Messages left today after this one; null when the limiter could not say (fail-open). */
  dailyRemaining: number | null;
}

/**
 * Resolves when the message may be sent, having counted it. Throws AppError message_too_long,
 * rate_limited or quota_exceeded (with retryAfter), or limiter_unavailable when the limiter does
 * not answer and RATE_LIMIT_FAIL_MODE is "closed". A refused message is not counted.
 */
export async function checkChatAllowance(
  deps: ChatAllowanceDeps,
  { viewer, clientIp, textLength }: ChatAllowanceRequest,
): Promise<ChatAllowance> {
  const maxLength = maxMessageLengthFor(viewer.tier, deps.config.chat.maxMessageLength);
  if (textLength > maxLength) {
    throw new AppError(
      "message_too_long",
      `Messages can be at most ${maxLength.toLocaleString("en-US")} characters; this one has ${textLength.toLocaleString("en-US")}.` +
        (viewer.tier === "guest" ? " Create a free account to send longer ones." : ""),
    );
  }
  const outcomes = await enforceLimits(deps, "chat", chatChecks(viewer, clientIp));
  const daily = outcomes.find(({ check }) => check.rule === tierRuleName(viewer.tier, "messages-per-day"))?.result;
  return {
    headers: rateLimitHeaders(outcomes),
    dailyRemaining: daily && daily.reason === undefined ? daily.remaining : null,
  };
}

/**
 * The refusals say what happened, not when it ends: the wait is in `retryAfter` (and Retry-After),
 * which the chat shows as one figure counting down, next to an invitation to sign up for guests.
 */
function chatChecks({ userId, tier }: ChatAllowanceRequest["viewer"], clientIp: string): LimitCheck[] {
  const tooFast: LimitCheck["refusal"] = () => ({
    code: "rate_limited",
    message: tier === "guest" ? "Guests can send only a few messages in a row." : "You're sending messages faster than your plan allows.",
  });
  const checks: LimitCheck[] = [
    { rule: tierRuleName(tier, "per-minute"), identifier: userId, mode: "spend", refusal: tooFast },
    { rule: tierRuleName(tier, "burst"), identifier: userId, mode: "spend", refusal: tooFast },
    {
      rule: tierRuleName(tier, "messages-per-day"),
      identifier: userId,
      mode: "spend",
      refusal: ({ limit }) => ({
        code: "quota_exceeded",
        message: `You've sent all ${limit.toLocaleString("en-US")} messages for today.`,
      }),
    },
    tokenCheck(tierRuleName(tier, "tokens-per-day"), userId, tier),
  ];
  if (tier === "guest") {
    checks.push(
      {
        rule: "guest-ip.per-minute",
        identifier: clientIp,
        mode: "spend",
        refusal: () => ({
          code: "rate_limited",
          message: "Many guest messages are coming from your network right now.",
        }),
      },
      {
        rule: "guest-ip.per-day",
        identifier: clientIp,
        mode: "spend",
        refusal: () => ({
          code: "quota_exceeded",
          message: "Guests on your network have used today's allowance.",
        }),
      },
      tokenCheck("guest-ip.tokens-per-day", clientIp, tier),
    );
  }
  return checks;
}

/** A token quota must still hold the longest reply the plan allows; the job reserves the exact estimate. */
function tokenCheck(rule: LimitCheck["rule"], identifier: string, tier: Tier): LimitCheck {
  return {
    rule,
    identifier,
    mode: "peek",
    need: TIER_POLICIES[tier].maxOutputTokens,
    refusal: ({ retryAfterSeconds }) => ({ code: "quota_exceeded", message: tokenQuotaMessage(rule, tier, retryAfterSeconds) }),
  };
}
