/**
 * POST /api/chat's one entry point: a message is checked against the sender's spending budgets
 * and plan (length, pace, daily messages and tokens, and for guests their network's allowance)
 * before anything is stored or any model spend is queued, while what the request needs is read;
 * then it is accepted (lib/chat/send-message.ts).
 */
import { checkChatAllowance } from "@/lib/limits/chat-allowance";
import type { Limiter } from "@/lib/limits/limiter";
import { logger } from "@/lib/log";
import { shouldFlushEarly } from "@/lib/history/flush-history";
import { checkSpendBudget, effectiveBudget, hasBudget, type BudgetOverride } from "@/lib/costs/spend-budget";
import { replyCostMicros } from "@/lib/costs/reply-cost";
import { TIER_POLICIES } from "@/lib/limits/policies";
import { prepareChatRequest, validateMessageText, type ChatRequest, type SendMessageDeps, type Sender } from "./send-message";

/** Header with the messages the sender has left today, for the composer's hint. */
export const DAILY_REMAINING_HEADER = "X-Messages-Remaining-Today";

export async function acceptChatRequest(
  deps: SendMessageDeps & { limiter: Limiter },
  {
    sender: { budgetOverride, ...viewer },
    clientIp,
    request,
  }: { sender: Sender & { budgetOverride?: BudgetOverride }; clientIp: string; request: ChatRequest },
) {
  const budget = effectiveBudget(deps.config, viewer.tier, budgetOverride);
  const sender: Sender = { ...viewer, ...(hasBudget(budget) && { budget }) };
  const textLength = request.kind === "send" ? request.text.length : 0;
  // An empty or oversized message is refused before it costs the sender anything.
  if (request.kind === "send") validateMessageText(request.text, deps.config.chat.maxMessageLength, (request.attachmentIds?.length ?? 0) > 0);
  // Asked together: preparing only reads, and nothing is written unless the allowance holds. A
  // refusal is the answer as soon as it comes, as if the limits had been asked first: neither
  // another failure of preparing nor its wait (a hot store reconnecting) goes before it.
  const network = sender.tier === "guest" ? clientIp : undefined;
  const preparing = prepareChatRequest(deps, { ...sender, ...(network !== undefined && { network }) }, request);
  // Its failure is met at the await below; a refused request never gets there.
  preparing.catch(() => undefined);
  // A budget is only looked at, so it is asked first: a message it refuses costs no allowance.
  if (sender.budget) await checkSpendBudget(deps, { userId: sender.userId, tier: sender.tier, budget: sender.budget }, longestReplyCost(deps, sender, request));
  const allowance = await checkChatAllowance(deps, { viewer: sender, clientIp, textLength });
  const accepted = await (await preparing).commit();
  // Not awaited: the in-process runner's flush takes as long as the flush, and the sender should not.
  if (accepted.backlog !== undefined) void requestEarlyFlush(deps, accepted.backlog);
  const headers: Record<string, string> = { ...allowance.headers };
  if (allowance.dailyRemaining !== null) headers[DAILY_REMAINING_HEADER] = String(allowance.dailyRemaining);
  return { ...accepted, headers };
}

/** The plan's longest reply at the model's price: what a budget must still hold for a message to go. */
function longestReplyCost({ config, models }: SendMessageDeps, { tier }: Sender, { modelId }: ChatRequest): number {
  return replyCostMicros(config, models.resolveModelId(modelId), { inputTokens: 0, outputTokens: TIER_POLICIES[tier].maxOutputTokens }) ?? 0;
}

/** A backlog past its threshold is flushed now rather than at the next interval. */
async function requestEarlyFlush({ hot, jobs, config }: SendMessageDeps, backlog: number): Promise<void> {
  try {
    if (await shouldFlushEarly(hot, config, backlog)) await jobs.requestFlush();
  } catch (error) {
    logger.warn({ err: error }, "early flush request failed; the periodic flush will take it");
  }
}
