/**
 * This process's replies waiting for a start in a capacity bucket (HotStore.takeCapacity), kept in
 * line order: only the first `limit` of a bucket's waiters (a window's worth) ask the bucket, at
 * once, and when one of them has its start the next in line moves up and asks. So when more
 * replies hold a model-call lease than a window allows (LLM_MAX_CONCURRENCY above the window's
 * limit), each window's starts still go to the first in line by score (plan head start, then time
 * asked) rather than to whichever timer fires first, without asking one at a time. Across
 * instances, each instance's front asks; the bucket serves them as they come.
 *
 * A key pool (several keys for one provider) is one line over several buckets, a window's worth
 * per key at its front: each waiter asks the bucket with the most headroom first (the books as the
 * hot store holds them, lib/hot/capacity-state.ts capacityHeadroom), then the others, so starts
 * spread over the keys by what each has left and a key held back (a 429, a rejected key) is
 * passed over until its pause ends.
 */
import { capacityHeadroom } from "@/lib/hot/capacity-state";
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
  /** Those waiting in `takeAmount`, by bucket: woken when this process gives tokens back. */
  private readonly amountWaiters = new Map<string, Set<Pick<Waiter, "wake">>>();
  private accepted = 0;

  constructor(
    private readonly store: Pick<HotStore, "takeCapacity" | "readCapacity">,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Waits for this reply's turn in the line of `buckets` (a model's, one per key of the pool) and
   * a start in one of them; returns the start's number, which bucket gave it and whether it is a
   * probe (CapacityGrant.probe), or null once `giveUpAt` (ms) has come without one.
   */
  async take(buckets: string[], limit: CapacityLimit, score: number, giveUpAt = Infinity): Promise<{ seq: number; bucket: number; probe: boolean } | null> {
    const waiter: Waiter = { score, order: (this.accepted += 1), wake: () => undefined };
    const lineName = buckets.join(" ");
    const front = limit.limit * buckets.length;
    const line = this.lines.get(lineName) ?? [];
    this.lines.set(lineName, line);
    const behind = line.findIndex((other) => byPlace(waiter, other) < 0);
    line.splice(behind === -1 ? line.length : behind, 0, waiter);
    try {
      for (;;) {
        this.signal.throwIfAborted();
        const budgetLeft = giveUpAt - Date.now();
        if (budgetLeft <= 0) return null;
        if (line.indexOf(waiter) >= front) {
          await pause(waiter, Math.min(CAPACITY_POLL_MAX_MS, budgetLeft), this.signal);
          continue;
        }
        let waitMs = Math.min(CAPACITY_POLL_MAX_MS, budgetLeft);
        for (const bucket of await this.byHeadroom(buckets, limit, waiter.order)) {
          const grant = await this.store.takeCapacity(buckets[bucket], limit);
          if (grant.granted) return { seq: grant.seq, bucket, probe: grant.probe === true };
          waitMs = Math.min(waitMs, grant.waitMs);
        }
        await pause(waiter, waitMs, this.signal);
      }
    } finally {
      line.splice(line.indexOf(waiter), 1);
      if (line.length === 0) this.lines.delete(lineName);
      // The one moved up into the front, if any, asks now.
      line[front - 1]?.wake();
    }
  }

  /**
   * Takes `amount` (a call's tokens) from `bucket`, waiting until it fits; returns the take's
   * seq. No line here: the call already has its start, in line order.
   */
  async takeAmount(bucket: string, limit: CapacityLimit, amount: number): Promise<number> {
    const waiter = { wake: () => undefined };
    const waiters = this.amountWaiters.get(bucket) ?? new Set();
    this.amountWaiters.set(bucket, waiters.add(waiter));
    try {
      for (;;) {
        this.signal.throwIfAborted();
        const grant = await this.store.takeCapacity(bucket, limit, amount);
        if (grant.granted) return grant.seq;
        await pause(waiter, Math.min(grant.waitMs, CAPACITY_POLL_MAX_MS), this.signal);
      }
    } finally {
      waiters.delete(waiter);
      if (waiters.size === 0) this.amountWaiters.delete(bucket);
    }
  }

  /** Some of `bucket` came back (a settled hold): those waiting for it here ask again now. */
  returned(bucket: string): void {
    for (const waiter of this.amountWaiters.get(bucket) ?? []) waiter.wake();
  }

  /**
   * The buckets' positions, the most headroom first, ties taken in turns from `turn` on (so
   * waiters reading the same books at once do not all ask the same key first); one bucket is
   * asked without reading it.
   */
  private async byHeadroom(buckets: string[], limit: CapacityLimit, turn: number): Promise<number[]> {
    if (buckets.length === 1) return [0];
    const states = await Promise.all(buckets.map((bucket) => this.store.readCapacity(bucket)));
    const now = Date.now();
    const headroom = states.map((state) => capacityHeadroom(state, limit, now));
    const inTurn = (position: number) => (((position - turn) % buckets.length) + buckets.length) % buckets.length;
    return buckets.map((_, position) => position).sort((a, b) => headroom[b] - headroom[a] || inTurn(a) - inTurn(b));
  }
}

function byPlace(a: Waiter, b: Waiter): number {
  return a.score - b.score || a.order - b.order;
}
