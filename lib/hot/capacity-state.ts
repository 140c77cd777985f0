/**
 * A capacity bucket's books, as both hot-store adapters keep them: the in-process store runs these
 * functions, and the Redis store runs the same steps in Lua (TAKE_CAPACITY and REPORT_CAPACITY in
 * lib/hot/redis-hot-store.ts), one script per step so instances never interleave inside one. The
 * contract suite holds both to the same behaviour.
 *
 * The bucket counts model-call starts in windows: `limit` starts until `resetAt`, then a fresh
 * window. That is exact for a provider's quantized window, and for a sliding window or a
 * refilling bucket it is the right picture of a burst: what is left now, and when everything is
 * back (the reset every provider reports). The configuration gives the first `limit`; what the
 * provider says corrects it:
 *
 * - rate-limit headers (limit, remaining, reset) replace the books, counting on top the starts the
 *   provider had not seen yet when it answered (those after the reported one), unless they are
 *   about a start of a window that has ended since;
 * - a Retry-After blocks every start until it has passed: a 429's, or the pause a runner asks for
 *   itself (a key the provider rejected, lib/replies/model-errors.ts);
 * - a 429 without headers also cuts the limit by
 *   CUT_FACTOR, at most once per round of starts (as TCP halves once per round trip), and, without
 *   a Retry-After either, marks the window spent;
 * - each window that opens after one without a cut probes back up, additively, by a tenth of the
 *   configured limit, to the configured limit, unless the provider reports its own: with the cut,
 *   an AIMD loop that converges on the rate a provider without headers accepts;
 * - a limit the provider reported stops counting as its own once a window with starts went by
 *   without a report (it no longer sends headers): probing and cutting take over from it;
 * - books kept under another configured limit (LLM_RPM changed) start afresh: the operator's new
 *   figure replaces what was learnt under the old one, until the provider says otherwise;
 * - without headers, the bucket's windows open at its own first start, where a provider's
 *   quantized windows commonly begin at multiples of the window on the clock (every 10 s, every
 *   minute): a burst that spends the bucket's window after a clock boundary inside it, or before
 *   one, waits for the bucket's next window, while the provider opened a fresh one at that
 *   boundary. Worse, when the bucket's next window opens, the provider's still holds the starts
 *   made after the boundary, and the first of them to meet its end are refused and cut the limit.
 *   So when a take finds the window spent and a clock boundary has passed since the window opened
 *   (at once, or once the boundary comes), one start goes as a probe (and no other until it is
 *   answered, or the bucket's window ends, in which the probe counts too): admitted, the bucket
 *   adopts the clock's windows from then on (`clockAligned`), counting in the clock's window every
 *   start taken since its boundary (`clockSeq`), and a refusal in that first window, whose count
 *   missed the starts on their way at the boundary, spends it without cutting (`adoptedUntil`);
 *   refused (or unanswered a window long), the probe costs that one 429, cuts nothing, and the
 *   bucket keeps its own windows. Only a bucket at its configured limit, past its first window,
 *   that never had the provider's headers (they say when the window ends) tests this.
 *
 * A token bucket keeps the same books in tokens: a take of `amount` tokens (a reply's estimate)
 * counts `amount` in `used` and in `seq`, so `seq` is the tokens ever taken and what the provider
 * had not seen when it answered is counted in tokens too; `returnCapacity` settles a take with
 * what the call really used. A take larger than the whole limit waits for an empty window and
 * then takes all of it, so it is never refused for good.
 */
import type { CapacityGrant, CapacityLimit, CapacityReport, CapacityReturn, CapacityState } from "./hot-store";

/** What a 429 without headers leaves of the limit (AWS's adaptive retries use the same 0.7). */
export const CUT_FACTOR = 0.7;

/**
 * How often a take asks again while a probe of the clock's windows waits for its answer (the
 * provider's time to its response headers, usually well under a second).
 */
export const PROBE_ANSWER_POLL_MS = 100;

/** What a clean window adds back to a limit cut after 429s: a tenth of the configured limit, at least one. */
function probeStep({ limit }: CapacityLimit): number {
  return Math.max(1, Math.floor(limit / 10));
}

export function freshCapacity({ limit }: CapacityLimit): CapacityState {
  return {
    configured: limit,
    limit,
    used: 0,
    resetAt: 0,
    blockedUntil: 0,
    seq: 0,
    windowSeq: 0,
    reportSeq: 0,
    cutSeq: 0,
    reported: false,
    clockAt: 0,
    clockSeq: 0,
    adoptedUntil: 0,
    probeSeq: 0,
    probeTaken: 0,
    probeAt: 0,
  };
}

/** The clock's window `now` falls in begins here: the last multiple of the window since the epoch. */
export function clockWindowStart(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/** The books a step starts from: the stored ones if kept under this configuration, else fresh ones. */
export function currentBooks(stored: CapacityState | null | undefined, config: CapacityLimit): CapacityState {
  // Books stored before a field existed take its fresh value.
  return stored && stored.configured === config.limit ? { ...freshCapacity(config), ...stored } : freshCapacity(config);
}

/** Takes `amount` (one start, or a reply's tokens) if there is room; otherwise says how long until there may be. Mutates `state`. */
export function takeCapacity(state: CapacityState, config: CapacityLimit, now: number, amount = 1): CapacityGrant {
  if (now < state.blockedUntil) return { granted: false, waitMs: state.blockedUntil - now, seq: 0 };
  if (now >= state.resetAt) {
    // The window ending saw starts and no headers about any of them.
    if (state.reported && state.reportSeq <= state.windowSeq && state.seq > state.windowSeq) state.reported = false;
    if (!state.reported && state.limit < config.limit && state.cutSeq <= state.windowSeq) {
      state.limit = Math.min(config.limit, state.limit + probeStep(config));
    }
    state.used = 0;
    state.resetAt = state.clockAligned ? clockWindowStart(now, config.windowMs) + config.windowMs : now + config.windowMs;
    state.windowSeq = state.seq;
    if (state.probeSeq > 0 && now - state.probeAt < config.windowMs) {
      // A probe still out (sent near the end of the window) went to the provider's new window
      // too: it, and what was taken after it, count in this one.
      state.windowSeq = state.probeSeq - state.probeTaken;
      state.used = state.seq - state.windowSeq;
    } else if (state.probeSeq > 0) {
      // Unanswered a window long (its call failed without an answer, or the runner reports
      // nothing): the bucket keeps its own windows rather than probing every window.
      state.clockAligned = false;
      state.probeSeq = 0;
      state.probeTaken = 0;
    }
  }
  const taken = Math.max(1, Math.min(Math.ceil(amount), state.limit));
  const boundary = clockWindowStart(now, config.windowMs);
  const grant = () => {
    if (state.clockAt !== boundary) {
      state.clockAt = boundary;
      state.clockSeq = state.seq;
    }
    state.used += taken;
    state.seq += taken;
    return { granted: true, waitMs: 0, seq: state.seq };
  };
  if (state.used + taken <= state.limit) return grant();
  if (!testsClockWindows(state, config)) return { granted: false, waitMs: state.resetAt - now, seq: 0 };
  if (state.probeSeq > 0) return { granted: false, waitMs: Math.min(PROBE_ANSWER_POLL_MS, state.resetAt - now), seq: 0 };
  // The bucket's window opened before the clock's current one: a provider on the clock's windows has a fresh one.
  if (state.resetAt - config.windowMs < boundary) {
    const probe = grant();
    state.probeSeq = probe.seq;
    state.probeTaken = taken;
    state.probeAt = now;
    return { ...probe, probe: true };
  }
  // The clock's next boundary comes before the bucket's own window ends.
  return { granted: false, waitMs: boundary + config.windowMs - now, seq: 0 };
}

/**
 * Whether a spent window may probe the clock's windows: not yet tested, no headers ever (a window
 * has gone by, so the answers to its starts had time to bring them), no cut limit.
 */
function testsClockWindows(state: CapacityState, config: CapacityLimit): boolean {
  return state.clockAligned === undefined && state.reportSeq === 0 && state.windowSeq > 0 && state.limit === config.limit;
}

/**
 * Gives back `amount` of take `seq` (a negative amount counts more), when that take belongs to the
 * current window: a window that has ended since took nothing into the new one. Mutates `state`.
 */
export function returnCapacity(state: CapacityState, { seq, amount }: CapacityReturn): void {
  if (seq > state.windowSeq) state.used = Math.max(0, state.used - Math.round(amount));
}

/** Corrects the books with what the provider answered to start `report.seq`. Mutates `state`. */
export function reportCapacity(state: CapacityState, report: CapacityReport, config: CapacityLimit, now: number): void {
  const { headroom } = report;
  if (state.probeSeq > 0 && report.seq === state.probeSeq) {
    // The probe's answer settles where the provider's windows begin.
    state.clockAligned = !report.refused;
    if (state.clockAligned) {
      const boundary = clockWindowStart(now, config.windowMs);
      state.resetAt = boundary + config.windowMs;
      // Every start since the clock's boundary went to the provider's current window.
      state.windowSeq = state.clockAt === boundary ? state.clockSeq : state.seq;
      state.used = state.seq - state.windowSeq;
      state.adoptedUntil = state.resetAt;
    }
    state.probeSeq = 0;
    state.probeTaken = 0;
    // Its refusal was the price of the test, not a sign of too high a limit.
    if (report.refused && !headroom) {
      if (report.retryAfterMs !== undefined) state.blockedUntil = Math.max(state.blockedUntil, now + report.retryAfterMs);
      return;
    }
  }
  // Headers about a start of an earlier window describe a window that has ended: they would fill
  // the fresh one with the old one's starts.
  if (headroom && report.seq >= state.reportSeq && report.seq > state.windowSeq) {
    const unseen = Math.max(0, state.seq - report.seq);
    state.reportSeq = report.seq;
    state.reported = true;
    state.limit = headroom.limit;
    state.used = Math.max(0, headroom.limit - headroom.remaining + unseen);
    // The reset was measured before the unseen starts: it may come later than said, never sooner.
    state.resetAt = unseen === 0 ? now + headroom.resetMs : Math.max(state.resetAt, now + headroom.resetMs);
  }
  if (report.retryAfterMs !== undefined) state.blockedUntil = Math.max(state.blockedUntil, now + report.retryAfterMs);
  if (!report.refused || headroom) return;
  // Without a Retry-After, the end of the window is the only wait known.
  const spendWindow = () => {
    if (report.retryAfterMs === undefined) state.used = Math.max(state.used, state.limit);
  };
  if (now < state.adoptedUntil) {
    // The clock's window adopted part-way through does not count the starts that were on their way
    // to the provider at its boundary: a refusal in it says it is full, not that the limit is too high.
    spendWindow();
    return;
  }
  if (report.seq > state.cutSeq) {
    state.limit = Math.max(1, Math.floor(state.limit * CUT_FACTOR));
    state.cutSeq = state.seq;
    spendWindow();
  }
}

/**
 * Starts the bucket would grant now: none while blocked, a whole window's (its limit, before any
 * probe up) once its window has ended or when it has no books yet. What a key pool is ordered by.
 */
export function capacityHeadroom(state: CapacityState | null, config: CapacityLimit, now: number): number {
  if (!state || state.configured !== config.limit) return config.limit;
  if (now < state.blockedUntil) return 0;
  return now >= state.resetAt ? state.limit : Math.max(0, state.limit - state.used);
}

/** How long a bucket's books are worth keeping: ten windows past the last moment they speak of. */
export function capacityTtlMs(state: CapacityState, config: CapacityLimit, now: number): number {
  return Math.max(state.resetAt, state.blockedUntil, now) - now + 10 * config.windowMs;
}
