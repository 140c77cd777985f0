/**
 * lib/history/versions.ts: which branch of a chat's message tree is shown, with each turn's
 * versions, and what a reply's history is; messages written before versions existed (no parentId)
 * read as the one line they were.
 */
import { describe, expect, it } from "vitest";
import type { StoredMessage } from "@/lib/domain";
import { branchTo, shownBranch, withExplicitParents } from "@/lib/history/versions";

let clock = 0;
function message(id: string, parentId?: string | null): StoredMessage {
  clock += 1;
  return { id, chatId: "c1", role: id.startsWith("q") ? "user" : "assistant", parts: [], createdAt: clock, ...(parentId !== undefined && { parentId }) };
}

/** q1 → a1 → q2 → (a2, a2b) ; q2e (an edit of q2) → a2e; the edit of the first question: q1e → a1e. */
const tree = [
  message("q1", null),
  message("a1", "q1"),
  message("q2", "a1"),
  message("a2", "q2"),
  message("a2b", "q2"),
  message("q2e", "a1"),
  message("a2e", "q2e"),
  message("q1e", null),
  message("a1e", "q1e"),
];

const ids = (messages: StoredMessage[]) => messages.map((shown) => shown.id);

describe("the shown branch", () => {
  it("is the newest one when nothing is selected", () => {
    const shown = shownBranch(tree);
    expect(ids(shown)).toEqual(["q1e", "a1e"]);
    expect(shown[0].versions).toEqual({ index: 1, ids: ["q1", "q1e"] });
    expect(shown[1].versions).toBeUndefined();
  });

  it("runs through the selected message, then down its newest replies", () => {
    const shown = shownBranch(tree, "q2");
    expect(ids(shown)).toEqual(["q1", "a1", "q2", "a2b"]);
    expect(shown.map((turn) => turn.versions && `${turn.versions.index + 1}/${turn.versions.ids.length}`)).toEqual([
      "1/2",
      undefined,
      "1/2",
      "2/2",
    ]);
    expect(ids(shownBranch(tree, "a2"))).toEqual(["q1", "a1", "q2", "a2"]);
    expect(ids(shownBranch(tree, "q1"))).toEqual(["q1", "a1", "q2e", "a2e"]);
  });

  it("falls back to the newest branch for a selection the chat does not have", () => {
    expect(ids(shownBranch(tree, "gone"))).toEqual(["q1e", "a1e"]);
  });

  it("reads messages without a parentId as one line, and spells their parents out for Postgres", () => {
    const legacy = [message("q1"), message("a1"), message("q2"), message("a2")];
    expect(ids(shownBranch(legacy))).toEqual(["q1", "a1", "q2", "a2"]);
    expect(withExplicitParents(legacy).map((shown) => shown.parentId)).toEqual([null, "q1", "a1", "q2"]);
    // A new reply to a legacy question follows it explicitly, and becomes its second version.
    const regenerated = [...legacy, message("a2b", "q2")];
    expect(shownBranch(regenerated, "q2").at(-1)).toMatchObject({ id: "a2b", versions: { index: 1, ids: ["a2", "a2b"] } });
  });
});

describe("a reply's history", () => {
  it("is the branch that leads to its question, whatever the chat shows", () => {
    expect(ids(branchTo(tree, "q2e"))).toEqual(["q1", "a1", "q2e"]);
    expect(ids(branchTo(tree, "q1e"))).toEqual(["q1e"]);
    expect(branchTo(tree, "gone")).toEqual([]);
  });
});
