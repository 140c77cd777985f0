/**
 * In-process wake-ups for `HotStore.waitForRelay`: an append made through this process's store
 * wakes this process's waiters at once, with no polling, and hands the appended entries to the
 * waiters they continue, so those need no read to get them.
 */

/** Entries a store appended, and the relay offset of the first. */
export interface RelayAppend {
  from: number;
  entries: string[];
}

interface Waiter {
  knownLength: number;
  release(appended?: string[]): void;
}

export class RelayWaiters {
  private readonly waitersByReply = new Map<string, Set<Waiter>>();

  /**
   * Resolves on a wake-up or when the timeout passes; with the entries that follow `knownLength`
   * when an append through this process brought exactly those.
   */
  wait(replyId: string, knownLength: number, timeoutMs: number): Promise<string[] | undefined> {
    let waiter!: Waiter;
    const done = new Promise<string[] | undefined>((resolve) => {
      const timer = setTimeout(() => waiter.release(), timeoutMs);
      waiter = {
        knownLength,
        release: (appended) => {
          clearTimeout(timer);
          const waiters = this.waitersByReply.get(replyId);
          waiters?.delete(waiter);
          if (waiters?.size === 0) this.waitersByReply.delete(replyId);
          resolve(appended);
        },
      };
    });
    const waiters = this.waitersByReply.get(replyId) ?? new Set();
    waiters.add(waiter);
    this.waitersByReply.set(replyId, waiters);
    return done;
  }

  /** The replies some wait is on. */
  replyIds(): string[] {
    return [...this.waitersByReply.keys()];
  }

  get isEmpty(): boolean {
    return this.waitersByReply.size === 0;
  }

  /** Ends the waits on a relay now `length` long that knew fewer entries (a poll saw it grow). */
  wakeBehind(replyId: string, length: number): void {
    for (const waiter of [...(this.waitersByReply.get(replyId) ?? [])]) {
      if (length > waiter.knownLength) waiter.release();
    }
  }

  wake(replyId: string, append?: RelayAppend): void {
    for (const waiter of [...(this.waitersByReply.get(replyId) ?? [])]) {
      waiter.release(append && append.from === waiter.knownLength ? append.entries : undefined);
    }
  }

  /** Ends every wait, so nobody hangs on a store that is closing. */
  releaseAll(): void {
    for (const replyId of this.replyIds()) this.wake(replyId);
  }
}
