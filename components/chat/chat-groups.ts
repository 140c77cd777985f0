/** The chat list's sections by when each chat was last active, in the browser's time zone. */

export interface ChatGroup<Chat> {
  label: string;
  chats: Chat[];
}

const DAY_LABELS = [
  { label: "Today", daysBack: 0 },
  { label: "Yesterday", daysBack: 1 },
  { label: "Previous 7 days", daysBack: 7 },
  { label: "Previous 30 days", daysBack: 30 },
] as const;

/** Midnight `days` calendar days before the day of `now` (calendar days, so DST changes count right). */
function startOfDay(now: number, daysBack: number): number {
  const day = new Date(now);
  day.setHours(0, 0, 0, 0);
  day.setDate(day.getDate() - daysBack);
  return day.getTime();
}

/**
 * Chats (newest first) in sections: Today, Yesterday, Previous 7 days, Previous 30 days, then one
 * per month ("November 2026"). Empty sections are left out; order within each is kept.
 */
export function groupChatsByDate<Chat extends { updatedAt: number }>(chats: Chat[], now: number): ChatGroup<Chat>[] {
  const bounds = DAY_LABELS.map(({ label, daysBack }) => ({ label, since: startOfDay(now, daysBack) }));
  const monthFormat = new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" });
  const groups: ChatGroup<Chat>[] = [];
  for (const chat of chats) {
    const label = bounds.find(({ since }) => chat.updatedAt >= since)?.label ?? monthFormat.format(chat.updatedAt);
    const last = groups.at(-1);
    if (last?.label === label) last.chats.push(chat);
    else groups.push({ label, chats: [chat] });
  }
  return groups;
}
