/** Names of the shared values the chat domain keeps in the hot store. */
export const hotKeys = {
  replyState: (replyId: string) => `reply:${replyId}`,
  replyCancel: (replyId: string) => `reply-cancel:${replyId}`,
  activeReply: (chatId: string) => `chat-active:${chatId}`,
  /** The waiting line for model slots, shared by every instance. */
  replyLine: "reply-line",
  /** Which in-process runner holds a reply, with its job (lib/replies/reply-owners.ts). */
  replyOwner: (replyId: string) => `reply-owner:${replyId}`,
  /** An in-process runner's heartbeat: gone when its instance died. */
  runnerAlive: (instanceId: string) => `runner-alive:${instanceId}`,
  /** Counter whose first increment wins the recovery of a dead instance's reply. */
  replyRecovery: (replyId: string, deadInstanceId: string) => `reply-recovery:${replyId}:${deadInstanceId}`,
  /** Chats the flush set aside, by when (lib/history/flush-set-aside.ts). */
  flushSetAside: "flush-set-aside",
  /** Reply pipeline totals (lib/replies/reply-metrics.ts), kept without expiry. */
  metric: (name: string) => `metric:${name}`,
  /** What a user spent in a budget period (lib/costs/spend-budget.ts): `period` daily or monthly, `name` the day or month it counts. */
  spendBudget: (period: string, userId: string, name: string) => `budget:${period}:${userId}:${name}`,
} as const;
