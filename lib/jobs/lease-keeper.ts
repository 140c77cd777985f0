/**
 * Leases of the hot store's shared pools (HotStore.acquireLease), held for a piece of work: waited
 * for, renewed while the work runs, given back after. One keeper per process, so its waiters are
 * coordinated rather than each polling the store as fast as it can:
 *
 * - Only a pool's front waiters in this process (the first `limit` by score) ask often. One
 *   further back cannot be served yet, since every local waiter ahead of it is also ahead of it in
 *   the store; it asks only often enough to keep its place among the store's waiters alive, so
 *   waiters of other instances do not overtake it.
 * - A lease given back here, or a waiter leaving, wakes the new front at once.
 *
 * So a thousand replies waiting in one process cost about `limit` polls per `pollMs` and one per
 * waiter per third of `ttlMs`, not a thousand polls per `pollMs`.
 */
import type { HotStore, LeaseRequest } from "@/lib/hot/hot-store";

export interface LeaseKeeperOptions {
  store: Pick<HotStore, "acquireLease" | "renewLeases" | "releaseLease">;
  /** How long a lease, or a place among the waiters, outlives its last renewal. */
  ttlMs: number;
  /** How often a front waiter asks again. */
  pollMs: number;
  /** Aborting it ends every wait (the wait rejects) and leaves the work running to finish. */
  signal: AbortSignal;
  onError?: (error: unknown, context: string) => void;
}

interface Waiter {
  holder: string;
  score: number;
  /** Ends the waiter's current pause, so it asks now. */
  wake: () => void;
}

export class LeaseKeeper {
  /** This process's waiters, by pool. */
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** The leases held here, by pool and holder: all renewed together, one round trip per renewal. */
  private readonly held = new Map<string, { pool: string; holder: string }>();
  private renewal: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: LeaseKeeperOptions) {}

  /** Waits for one of the pool's leases, runs `work` holding it (renewed meanwhile), then gives it back. */
  async hold<T>(pool: string, holder: string, place: Omit<LeaseRequest, "ttlMs">, work: () => Promise<T>): Promise<T> {
    const { store, ttlMs, onError } = this.options;
    await this.waitFor(pool, holder, place);
    const key = `${pool}\n${holder}`;
    this.held.set(key, { pool, holder });
    this.renewal ??= setInterval(() => this.renewHeld(), ttlMs / 3);
    try {
      return await work();
    } finally {
      this.held.delete(key);
      if (this.held.size === 0) {
        clearInterval(this.renewal);
        this.renewal = undefined;
      }
      await store.releaseLease(pool, holder).catch((error) => onError?.(error, "lease release"));
      this.wakeFront(pool, place.limit);
    }
  }

  /** Renews every lease held here in one call: a lease taken since the last tick is renewed early, which is harmless. */
  private renewHeld(): void {
    const { store, ttlMs, onError } = this.options;
    const leases = [...this.held.values()];
    store.renewLeases(leases, ttlMs).then(
      (kept) =>
        kept.forEach((one, i) => one || onError?.(new Error(`The lease ${leases[i].pool} of ${leases[i].holder} lapsed while held`), "lease renewal")),
      (error) => onError?.(error, "lease renewal"),
    );
  }

  private async waitFor(pool: string, holder: string, { limit, score }: Omit<LeaseRequest, "ttlMs">): Promise<void> {
    const { store, ttlMs, pollMs, signal, onError } = this.options;
    const waiter: Waiter = { holder, score, wake: () => undefined };
    const local = this.waiters.get(pool) ?? new Set<Waiter>();
    this.waiters.set(pool, local);
    local.add(waiter);
    let reported = false;
    try {
      for (;;) {
        signal.throwIfAborted();
        const granted = await store.acquireLease(pool, holder, { limit, score, ttlMs }).catch((error: unknown) => {
          // An unreachable store refuses for now: the reply keeps waiting, reported once per wait.
          if (!reported) onError?.(error, `lease ${pool}`);
          reported = true;
          return false;
        });
        if (granted) return;
        const atFront = [...local].filter((other) => byPlace(other, waiter) < 0).length < limit;
        await pause(waiter, atFront ? pollMs : ttlMs / 3, signal);
      }
    } catch (error) {
      // Shutting down while waiting: leave the store's waiters now rather than when the place lapses.
      await store.releaseLease(pool, holder).catch(() => undefined);
      throw error;
    } finally {
      local.delete(waiter);
      if (local.size === 0) this.waiters.delete(pool);
      this.wakeFront(pool, limit);
    }
  }

  /** Wakes the pool's first `limit` local waiters, the only ones a freed lease can go to. */
  private wakeFront(pool: string, limit: number): void {
    const local = this.waiters.get(pool);
    if (!local) return;
    for (const waiter of [...local].sort(byPlace).slice(0, limit)) waiter.wake();
  }
}

/** The store's order among waiters: by score, ties by holder id. */
function byPlace(a: Waiter, b: Waiter): number {
  return a.score - b.score || (a.holder < b.holder ? -1 : a.holder > b.holder ? 1 : 0);
}

/** Resolves after `ms`, when the waiter is woken, or when the signal aborts, whichever is first. */
export function pause(waiter: { wake: () => void }, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    waiter.wake = done;
  });
}
