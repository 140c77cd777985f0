/**
 * This process's replies waiting for a start in a capacity bucket (HotStore.takeCapacity), kept in
 * line order: only the first `limit` of a bucket's waiters (a window's worth) ask the bucket, at
 * once, and when one of them has its start the next in line moves up and asks. So when more
 * replies hold a model-call lease than a window allows (LLM_MAX_CONCURRENCY above the window's
 * limit), each window's starts still go to the first in line by score (plan head start, then time
 * asked) rather than to whichever timer fires first, without asking one at a time. Across
 * instances, each instance's front asks; the bucket serves them as they come.
 */
import type { CapacityLimit, HotStore } from "@/lib/hot/hot-store";
import { pause } from "./lease-keeper";

/**
 * The longest a front waiter waits before asking its bucket again, however far its window's end:
 * a provider's answer can open the bucket sooner (headers naming a higher limit than configured).
 */
const CAPACITY_POLL_MAX_MS = 1000;

interface Waiter {
  score: number;
  /** Accepted order, breaking ties of score. */
  order: number;
  /** Ends the waiter's current pause, so it looks again now. */
  wake: () => void;
}

export class CapacityLine {
  private readonly lines = new Map<string, Waiter[]>();
  private accepted = 0;

  constructor(
    private readonly store: Pick<HotStore, "takeCapacity">,
    private readonly signal: AbortSignal,
  ) {}

  /** Waits for this reply's turn in the bucket's line and a start in the bucket; returns the start's number. */
  async take(bucket: string, limit: CapacityLimit, score: number): Promise<number> {
    const waiter: Waiter = { score, order: (this.accepted += 1), wake: () => undefined };
    const line = this.lines.get(bucket) ?? [];
    this.lines.set(bucket, line);
    const behind = line.findIndex((other) => byPlace(waiter, other) < 0);
    line.splice(behind === -1 ? line.length : behind, 0, waiter);
    try {
      for (;;) {
        this.signal.throwIfAborted();
        if (line.indexOf(waiter) >= limit.limit) {
          await pause(waiter, CAPACITY_POLL_MAX_MS, this.signal);
          continue;
        }
        const grant = await this.store.takeCapacity(bucket, limit);
        if (grant.granted) return grant.seq;
        await pause(waiter, Math.min(grant.waitMs, CAPACITY_POLL_MAX_MS), this.signal);
      }
    } finally {
      line.splice(line.indexOf(waiter), 1);
      if (line.length === 0) this.lines.delete(bucket);
      // The one moved up into the front, if any, asks now.
      line[limit.limit - 1]?.wake();
    }
  }
}

function byPlace(a: Waiter, b: Waiter): number {
  return a.score - b.score || a.order - b.order;
}
