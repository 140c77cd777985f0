/** How much custom instruction a user may keep: enough for a few personas, little enough to stay one cheap read. Shared with the settings page. */
export const INSTRUCTION_LIMITS = {
  maxPresets: 20,
  maxNameLength: 60,
  /** About 1,000 tokens: sent with every reply of a chat, and counted against the sender's tokens. */
  maxTextLength: 4000,
} as const;
