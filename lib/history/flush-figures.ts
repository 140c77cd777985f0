/**
 * Figures of the write-behind flush for the admin pages: cumulative counters every instance adds
 * to in the hot store, and the backlog as it stands.
 */
import type { HotStore } from "@/lib/hot/hot-store";
import { logger } from "@/lib/log";
import { countSetAside } from "./flush-set-aside";

export const FLUSH_COUNTERS = [
  "flush-runs",
  "flush-transactions",
  "flush-rows-written",
  "flush-failures",
  "flush-chats-rejected",
] as const;

export type FlushCounter = (typeof FLUSH_COUNTERS)[number];

/** Beside the reply metrics (hotKeys.metric), and like them kept without expiry. */
const flushCounterKey = (name: FlushCounter) => `metric:${name}`;

export interface FlushFigures {
  /** Flush runs since the counters began, failed ones included. */
  runs: number;
  /** Batch transactions committed. */
  transactions: number;
  /** Message rows inserted; messages Postgres already had are not counted. */
  rowsWritten: number;
  /**
   * Runs that ended in an error (Postgres or the hot store unreachable, most likely), or that set
   * chats aside: either way history did not reach Postgres, and an alert on this sees both.
   */
  failures: number;
  /** Chats Postgres refused for their content, each time a run tried; see the error log. */
  chatsRejected: number;
  /** Chats set aside now after Postgres refused them (lib/history/flush-set-aside.ts). */
  setAside: number;
  transactionsPerRun: number;
  rowsPerTransaction: number;
  /** Chats with writes Postgres does not have yet. */
  backlog: number;
  /** Age of the oldest write Postgres does not have yet, in ms; 0 without a backlog. */
  lagMs: number;
}

/** Adds one run's outcome to the counters. Never throws: figures must not fail a flush. */
export async function recordFlush(
  hot: HotStore,
  run: { transactions: number; messagesWritten: number; rejected: number; failed: boolean },
): Promise<void> {
  const amounts: Record<FlushCounter, number> = {
    "flush-runs": 1,
    "flush-transactions": run.transactions,
    "flush-rows-written": run.messagesWritten,
    "flush-failures": run.failed || run.rejected > 0 ? 1 : 0,
    "flush-chats-rejected": run.rejected,
  };
  const increments = Object.entries(amounts).filter(([, by]) => by > 0) as [FlushCounter, number][];
  await Promise.all(increments.map(([name, by]) => hot.incrCounter(flushCounterKey(name), by))).catch((error: unknown) =>
    logger.warn({ err: error }, "could not record flush figures"),
  );
}

export async function readFlushFigures(hot: HotStore, now = Date.now()): Promise<FlushFigures> {
  const [[runs, transactions, rowsWritten, failures, chatsRejected], { count, oldestSince }, setAside] = await Promise.all([
    hot.getCounters(FLUSH_COUNTERS.map(flushCounterKey)),
    hot.unflushedStats(),
    countSetAside(hot, now),
  ]);
  return {
    runs,
    transactions,
    rowsWritten,
    failures,
    chatsRejected,
    setAside,
    transactionsPerRun: runs > 0 ? transactions / runs : 0,
    rowsPerTransaction: transactions > 0 ? rowsWritten / transactions : 0,
    backlog: count,
    lagMs: oldestSince === null ? 0 : Math.max(0, now - oldestSince),
  };
}
