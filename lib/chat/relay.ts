/**
 * The reply relay: a reply job appends its UI message chunks to the hot store, and any instance
 * streams them to the browser from any offset. That is what makes a reply resumable after a
 * reload or a dropped connection, and servable by an instance other than the one running the job.
 */
import type { UIMessageChunk } from "ai";
import type { HotStore } from "@/lib/hot/hot-store";

/** A relay ends with exactly one of these; readers stop there. */
export function isTerminalChunk(chunk: UIMessageChunk): boolean {
  return chunk.type === "finish" || chunk.type === "abort";
}

/**
 * Buffers chunks and appends them in batches, merging consecutive text deltas, so a reply costs
 * a few dozen hot-store writes rather than one per token.
 */
export class RelayWriter {
  private buffer: UIMessageChunk[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending: Promise<unknown> = Promise.resolve();
  private failure: unknown;
  private hasWrittenText = false;

  constructor(
    private readonly hot: HotStore,
    private readonly replyId: string,
    private readonly ttlSeconds: number,
    private readonly batchMs = 30,
  ) {}

  write(chunk: UIMessageChunk): void {
    const last = this.buffer.at(-1);
    if (chunk.type === "text-delta" && last?.type === "text-delta" && last.id === chunk.id) {
      this.buffer[this.buffer.length - 1] = { ...last, delta: last.delta + chunk.delta };
    } else {
      this.buffer.push(chunk);
    }
    // The first chunk goes out at once so the time to first token is not held back by batching.
    if (chunk.type === "text-delta" && !this.hasWrittenText) {
      this.hasWrittenText = true;
      this.flush();
    } else {
      this.timer ??= setTimeout(() => this.flush(), this.batchMs);
    }
  }

  /** Sends what is buffered; appends stay in order because each waits for the one before. */
  flush(): Promise<unknown> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return this.pending;
    const batch = this.buffer.map((chunk) => JSON.stringify(chunk));
    this.buffer = [];
    this.pending = this.pending
      .then(() => this.hot.appendRelay(this.replyId, batch, this.ttlSeconds))
      .catch((error) => {
        this.failure ??= error;
      });
    return this.pending;
  }

  /** Flushes everything; rejects if any append failed, so the job can retry or report it. */
  async close(): Promise<void> {
    await this.flush();
    if (this.failure) throw this.failure;
  }
}

export interface RelayReadOptions {
  fromOffset?: number;
  signal?: AbortSignal;
  /** Longest single wait for new chunks before re-checking (and calling `onIdle`). */
  idleMs?: number;
  /**
   * Called while no chunk arrives, with the offset read up to: emits place-in-line updates,
   * detects dead replies.
   */
  onIdle?: (offset: number) => Promise<UIMessageChunk[] | "end">;
}

/** Yields the relay's chunks from an offset until its terminal chunk, waiting for new ones. */
export async function* readRelay(hot: HotStore, replyId: string, options: RelayReadOptions = {}) {
  let offset = options.fromOffset ?? 0;
  const idleMs = options.idleMs ?? 1000;
  while (!options.signal?.aborted) {
    const raw = await hot.readRelay(replyId, offset);
    for (const entry of raw) {
      offset += 1;
      const chunk = JSON.parse(entry) as UIMessageChunk;
      yield chunk;
      if (isTerminalChunk(chunk)) return;
    }
    if (raw.length > 0) continue;
    if (options.onIdle) {
      const extra = await options.onIdle(offset);
      if (extra === "end") return;
      for (const chunk of extra) yield chunk;
    }
    await hot.waitForRelay(replyId, offset, idleMs);
  }
}
