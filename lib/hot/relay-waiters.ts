/**
 * In-process wake-ups for `HotStore.waitForRelay`: an append made through this process's store
 * wakes this process's waiters at once, with no polling.
 */
export interface RelayWait {
  /** Resolves on a wake-up, on `release()`, or when the wait's timeout passes. */
  done: Promise<void>;
  /** Ends the wait now (and frees its timer). */
  release(): void;
}

export class RelayWaiters {
  private readonly releasesByReply = new Map<string, Set<() => void>>();

  wait(replyId: string, timeoutMs: number): RelayWait {
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => release(), timeoutMs);
      release = () => {
        clearTimeout(timer);
        const releases = this.releasesByReply.get(replyId);
        releases?.delete(release);
        if (releases?.size === 0) this.releasesByReply.delete(replyId);
        resolve();
      };
    });
    const releases = this.releasesByReply.get(replyId) ?? new Set();
    releases.add(release);
    this.releasesByReply.set(replyId, releases);
    return { done, release };
  }

  wake(replyId: string): void {
    for (const release of [...(this.releasesByReply.get(replyId) ?? [])]) release();
  }

  /** Ends every wait, so nobody hangs on a store that is closing. */
  releaseAll(): void {
    for (const replyId of [...this.releasesByReply.keys()]) this.wake(replyId);
  }
}
