/**
 * The table of a reply's moves (lib/replies/reply-state.ts): what it allows is written, what it
 * does not throws and writes nothing, on the embedded hot store.
 */
import { describe, expect, it } from "vitest";
import type { ReplyStatus } from "@/lib/domain";
import { MemoryHotStore } from "@/lib/hot/memory-hot-store";
import {
  canMove,
  createReplyState,
  IllegalReplyTransition,
  isActive,
  isSettled,
  moveReply,
  readReplyState,
  REPLY_TRANSITIONS,
} from "@/lib/replies/reply-state";

const STATUSES = Object.keys(REPLY_TRANSITIONS) as ReplyStatus[];
const TTL = 60;

function job(replyId: string) {
  return { replyId, chatId: "c1", userId: "u1", enqueuedAt: 1 };
}

describe("a reply's moves", () => {
  it("follows queued → running → streaming → an ending, and may go back in line only before its first token", () => {
    expect(canMove(null, "queued")).toBe(true);
    expect(canMove("queued", "running")).toBe(true);
    expect(canMove("running", "streaming")).toBe(true);
    for (const ending of ["finished", "failed", "interrupted", "stopped"] as const) expect(canMove("streaming", ending)).toBe(true);
    expect(canMove("running", "queued")).toBe(true);
    // Text reached the reader: answering it again would repeat that text.
    expect(canMove("streaming", "queued")).toBe(false);
    expect(canMove("streaming", "running")).toBe(false);
  });

  it("never moves a settled reply, and never starts one anywhere but in line or from the cache", () => {
    for (const from of STATUSES.filter(isSettled)) {
      for (const to of STATUSES) expect(canMove(from, to)).toBe(false);
    }
    expect(STATUSES.filter((to) => canMove(null, to))).toEqual(["queued", "finished"]);
    expect(STATUSES.filter(isSettled)).toEqual(["finished", "failed", "interrupted", "stopped"]);
    expect(STATUSES.filter(isActive)).toEqual(["queued", "running", "streaming"]);
  });

  it("writes an allowed move with its times, and throws on a move the table lacks, leaving the state as it was", async () => {
    const hot = new MemoryHotStore();
    const queued = await createReplyState(hot, job("r1"), "queued", TTL);
    const running = await moveReply(hot, queued, "running", TTL);
    expect(running.startedAt).toBeGreaterThan(0);
    const streaming = await moveReply(hot, running, "streaming", TTL);

    await expect(moveReply(hot, streaming, "queued", TTL)).rejects.toBeInstanceOf(IllegalReplyTransition);
    expect(await readReplyState(hot, "r1")).toEqual(streaming);

    const finished = await moveReply(hot, streaming, "finished", TTL);
    expect(finished.finishedAt).toBeGreaterThanOrEqual(finished.startedAt!);
    await expect(moveReply(hot, finished, "running", TTL)).rejects.toThrow("cannot move from finished to running");
    await expect(createReplyState(hot, job("r2"), "running", TTL)).rejects.toBeInstanceOf(IllegalReplyTransition);
    expect(await readReplyState(hot, "r2")).toBeNull();
    await hot.close();
  });
});
