/**
 * The chat list's date sections (components/chat/chat-groups.ts): the headings a person sees
 * above their chats, by the local calendar day each chat was last active.
 */
import { describe, expect, it } from "vitest";
import { groupChatsByDate } from "@/components/chat/chat-groups";

// 5 December 2026, 09:30 local time.
const NOW = new Date(2026, 11, 5, 9, 30).getTime();

function at(year: number, month: number, day: number, hour = 12): { id: string; updatedAt: number } {
  return { id: `${year}-${month + 1}-${day}T${hour}`, updatedAt: new Date(year, month, day, hour).getTime() };
}

describe("groupChatsByDate", () => {
  it("puts each chat under Today, Yesterday, the previous 7 or 30 days, or its month", () => {
    const chats = [
      at(2026, 11, 5, 0), // just after midnight today
      at(2026, 11, 4, 23), // last night
      at(2026, 11, 4, 0),
      at(2026, 11, 3),
      at(2026, 10, 28), // 7 days before today
      at(2026, 10, 27), // 8 days before
      at(2026, 10, 5), // 30 days before
      at(2026, 10, 4), // 31 days before
      at(2026, 9, 1),
      at(2025, 11, 31),
    ];
    const groups = groupChatsByDate(chats, NOW);
    const month = (year: number, index: number) => new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" }).format(new Date(year, index, 15));
    expect(groups.map((group) => [group.label, group.chats.map((chat) => chat.id)])).toEqual([
      ["Today", ["2026-12-5T0"]],
      ["Yesterday", ["2026-12-4T23", "2026-12-4T0"]],
      ["Previous 7 days", ["2026-12-3T12", "2026-11-28T12"]],
      ["Previous 30 days", ["2026-11-27T12", "2026-11-5T12"]],
      [month(2026, 10), ["2026-11-4T12"]],
      [month(2026, 9), ["2026-10-1T12"]],
      [month(2025, 11), ["2025-12-31T12"]],
    ]);
  });

  it("leaves empty sections out", () => {
    expect(groupChatsByDate([], NOW)).toEqual([]);
    expect(groupChatsByDate([at(2026, 11, 1)], NOW).map((group) => group.label)).toEqual(["Previous 7 days"]);
  });
});
