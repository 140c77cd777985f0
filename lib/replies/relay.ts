/**
 * The reply relay: a reply job appends its UI message chunks to the hot store, and any instance
 * streams them to the browser from any offset. That is what makes a reply resumable after a
 * reload or a dropped connection, and servable by an instance other than the one running the job.
 */
import { randomUUID } from "node:crypto";
import type { UIMessageChunk } from "ai";
import type { HotStore, RelayAppendOrder } from "@/lib/hot/hot-store";

/** A relay ends with exactly one of these; readers stop there. */
export function isTerminalChunk(chunk: UIMessageChunk): boolean {
  return chunk.type === "finish" || chunk.type === "abort";
}

/**
 * The longest a chunk waits in the writer's buffer before this process's readers get it, and, while
 * a reader on another instance watches the relay, before it is appended: a tenth of a second is
 * below what a reader notices in text appearing a few words at a time.
 */
export const RELAY_BATCH_MS = 100;

/**
 * The longest a chunk waits for its append while no reader on another instance watches the relay.
 * Each append is a billed command on Upstash; readers on the writer's instance are handed the
 * chunks in process meanwhile (HotStore.shareRelay), so this is what a crash of the writer's
 * instance can cost a resume (the last second of text), and how late a reader joining from another
 * instance mid-reply sees text until the writer hears of it and appends every RELAY_BATCH_MS; and
 * how long a stop may take to reach the job (it reads the stop flag with each append).
 */
export const RELAY_DURABLE_MS = 2000;

export interface RelayWriterOptions {
  /** The longest a chunk waits in the buffer; RELAY_BATCH_MS by default. */
  batchMs?: number;
  /** The longest a chunk waits for its append while nobody elsewhere reads; RELAY_DURABLE_MS by default. */
  durableMs?: number;
  /**
   * A value's key read with every append (HotStore.appendRelay's `watch`), handed to `onWatched`
   * when the append is answered: how the job hears of a stop while it streams, at no extra cost.
   */
  watch?: string;
  onWatched?: (value: string | null) => void;
  /**
   * The caller appends the first text itself, at once (`flush`), with a value written in the same
   * step; otherwise the writer appends it at once on its own.
   */
  holdFirstText?: boolean;
}

/**
 * Buffers chunks and hands them on in batches by time, merging consecutive text deltas: every
 * RELAY_BATCH_MS to this process's readers, and to the hot store as often while a reader on another
 * instance watches the relay (each append answers whether one does), else every RELAY_DURABLE_MS.
 * So a reply costs one hot-store write per two seconds rather than one per token, and ten a second
 * only while someone elsewhere reads it. The first text chunk and the ending (close) are appended at
 * once. Each writer numbers its chunks, so the hot store applies each once even when a client
 * sends an append again (HotStore.appendRelay).
 */
export class RelayWriter {
  private readonly writerId = randomUUID();
  /** Chunks handed on so far (shared or appended): the sequence number of the next one. */
  private sent = 0;
  private buffer: UIMessageChunk[] = [];
  /** Chunks shared with this process's readers and not appended yet, in order. */
  private unappended: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private appendTimer: ReturnType<typeof setTimeout> | undefined;
  private pending: Promise<unknown> = Promise.resolve();
  private failure: unknown;
  private hasWrittenText = false;
  /** Whether an append set the relay's TTL; until one succeeds, each append sets it. */
  private hasSetTtl = false;
  /** What the latest append said: a reader on another instance watches, so every batch is appended. */
  private readElsewhere = false;
  /** When an append last answered the watched value (ms), or 0: a caller needs no read of it until later. */
  watchedAt = 0;

  constructor(
    private readonly hot: HotStore,
    private readonly replyId: string,
    private readonly ttlSeconds: number,
    private readonly options: RelayWriterOptions = {},
  ) {}

  /** Chunks are waiting for an append, which reads the watched value: due within RELAY_DURABLE_MS. */
  get appendDue(): boolean {
    return this.buffer.length > 0 || this.unappended.length > 0;
  }

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
      if (!this.options.holdFirstText) this.flush();
    } else {
      this.timer ??= setTimeout(() => this.handOn(), this.options.batchMs ?? RELAY_BATCH_MS);
    }
  }

  /** A batch's turn: appended if someone elsewhere reads, else shared here and appended later. */
  private handOn(): void {
    this.timer = undefined;
    if (this.readElsewhere || !this.share()) {
      void this.flush();
      return;
    }
    this.appendTimer ??= setTimeout(() => void this.flush(), this.options.durableMs ?? RELAY_DURABLE_MS);
  }

  /** Hands the buffer to this process's readers ahead of its append; false if the store would not. */
  private share(): boolean {
    const batch = this.buffer.map((chunk) => JSON.stringify(chunk));
    if (!this.hot.shareRelay(this.replyId, batch, { writer: this.writerId, seq: this.sent })) return false;
    this.buffer = [];
    this.unappended.push(...batch);
    this.sent += batch.length;
    return true;
  }

  /**
   * Appends everything shared or buffered; appends stay in order because each waits for the one
   * before. `write` goes with this append (HotStore.appendRelay's `write`).
   */
  flush(write?: RelayAppendOrder["write"]): Promise<unknown> {
    clearTimeout(this.timer);
    clearTimeout(this.appendTimer);
    this.timer = undefined;
    this.appendTimer = undefined;
    const batch = [...this.unappended, ...this.buffer.map((chunk) => JSON.stringify(chunk))];
    if (batch.length === 0 && !write) return this.pending;
    const seq = this.sent - this.unappended.length;
    this.sent += this.buffer.length;
    this.buffer = [];
    this.unappended = [];
    this.pending = this.pending
      .then(async () => {
        // Set once: a reply streams for minutes at most, its relay lives for the hot TTL (a day).
        const ttlSeconds = this.hasSetTtl ? undefined : this.ttlSeconds;
        const { watch, onWatched } = this.options;
        const { watched, readElsewhere } = await this.hot.appendRelay(this.replyId, batch, { writer: this.writerId, seq, ttlSeconds, watch, write });
        this.hasSetTtl = true;
        this.readElsewhere = readElsewhere;
        if (watch !== undefined) {
          this.watchedAt = Date.now();
          onWatched?.(watched);
        }
      })
      .catch((error) => {
        this.failure ??= error;
      });
    return this.pending;
  }

  /**
   * Flushes everything, with `write` in the last append (there must be something to append);
   * rejects if any append failed, so the job can retry or report it.
   */
  async close(write?: RelayAppendOrder["write"]): Promise<void> {
    await this.flush(write);
    if (this.failure) throw this.failure;
  }
}

export interface RelayReadOptions {
  /** Where to start; an offset past the relay's end starts at its end. */
  fromOffset?: number;
  signal?: AbortSignal;
  /**
   * The wait for new chunks before `onIdle` is asked again; it doubles while `onIdle` answers
   * "quiet", up to MAX_IDLE_MS.
   */
  idleMs?: number;
  /**
   * Called while no chunk arrives, with the offset read up to: emits place-in-line updates,
   * detects dead replies. A terminal chunk among them ends the read. "settled" says the reply
   * has ended, so its relay is complete: the read ends after what is left of it. "quiet" says
   * nothing is expected to change soon (a reply being written that is slow to write), so the
   * next question can wait longer.
   */
  onIdle?: (offset: number) => Promise<UIMessageChunk[] | "settled" | "quiet">;
}

/**
 * How long a relay may be silent before `onIdle` is first asked about it. A reply that starts at
 * once, or keeps streaming, never needs a place in line or a check on its writer; asking at every
 * empty read cost round trips between batches and held the first token back behind them.
 */
const FIRST_IDLE_MS = 200;

/**
 * The longest wait between two `onIdle` checks of a relay that stays quiet (a reply whose model
 * is slow to answer): each check costs the hot store a few reads per open stream. New chunks end
 * a wait at once however long it is, so this delays only the noticing of a dead writer, which
 * takes a dozen seconds anyway (lib/chat/reply-owners.ts).
 */
const MAX_IDLE_MS = 4000;

/**
 * Yields the relay from an offset, a batch of entries at a time, until its terminal chunk,
 * waiting for new ones. Entries are the chunks' JSON text as appended, so a reader can send them
 * on without decoding and encoding them again.
 *
 * Each step starts with a wait rather than a read: entries appended through this process are
 * handed to the wait the moment they are written (a reply's first token, read by the instance
 * that runs it, needs no round trip), and a relay already longer ends the wait at once.
 */
export async function* readRelay(hot: HotStore, replyId: string, options: RelayReadOptions = {}): AsyncGenerator<string[]> {
  let offset = options.fromOffset ? await startingOffset(hot, replyId, options.fromOffset) : 0;
  const idleMs = options.idleMs ?? 1000;
  /** The next wait while the relay is idle (in line, or its writer slow or gone); 0 while it is not. */
  let idleWait = 0;
  while (!options.signal?.aborted) {
    const handed = await hot.waitForRelay(replyId, offset, idleWait || Math.min(idleMs, FIRST_IDLE_MS));
    const entries = handed ?? (await hot.readRelay(replyId, offset));
    if (entries.length === 0) {
      const extra = (await options.onIdle?.(offset)) ?? [];
      if (extra === "settled") {
        // Its last chunks may have landed after the read above; past them there is nothing to wait for.
        const { batch } = upToTerminal(await hot.readRelay(replyId, offset));
        if (batch.length > 0) yield batch;
        return;
      }
      if (extra === "quiet") {
        idleWait = idleWait ? Math.min(idleWait * 2, MAX_IDLE_MS) : idleMs;
        continue;
      }
      idleWait = idleMs;
      if (extra.length > 0) {
        yield extra.map((chunk) => JSON.stringify(chunk));
        if (extra.some(isTerminalChunk)) return;
      }
      continue;
    }
    idleWait = 0;
    const { batch, ended } = upToTerminal(entries);
    offset += batch.length;
    yield batch;
    if (ended) return;
  }
}

/**
 * How long a resume from past what the hot store holds waits for it to get there before it starts
 * where the relay is: the writer's instance hands its readers each batch up to RELAY_DURABLE_MS
 * before appending it, plus a moment for the append that the waiting reader's poll asks for.
 */
const AHEAD_WAIT_MS = RELAY_DURABLE_MS + 1000;

/**
 * Where a read from the client's `fromOffset` starts. A client cut off on the writer's instance
 * can be ahead of the hot store (see AHEAD_WAIT_MS): started where the relay is, it would get that
 * text twice, so the read waits (a reader waiting elsewhere makes the writer append every batch)
 * until the relay reaches the offset. An offset the relay does not reach by then (one past the
 * reply's end, or made up) starts where the relay is, as the HTTP API says.
 */
async function startingOffset(hot: HotStore, replyId: string, fromOffset: number): Promise<number> {
  const deadline = Date.now() + AHEAD_WAIT_MS;
  let length = await hot.relayLength(replyId);
  while (length < fromOffset && Date.now() < deadline) {
    await hot.waitForRelay(replyId, length, deadline - Date.now());
    length = await hot.relayLength(replyId);
  }
  return Math.min(fromOffset, length);
}

/** The entries up to and including the first terminal chunk (`ended`), or all of them. */
function upToTerminal(entries: string[]): { batch: string[]; ended: boolean } {
  const end = entries.findIndex((entry) => isTerminalChunk(JSON.parse(entry) as UIMessageChunk));
  return end === -1 ? { batch: entries, ended: false } : { batch: entries.slice(0, end + 1), ended: true };
}
