/**
 * How busy this process's event loop has been over the last second: the share of the time it
 * spent running code rather than waiting for I/O (Node's event-loop utilisation), sampled every
 * half second. Near 1 for a whole second, every request this instance handles waits for the ones
 * before it, so work that can be left undone (a chat's title) is left undone.
 */
import { performance, type EventLoopUtilization } from "node:perf_hooks";

const SAMPLE_MS = 500;

let sampler: { previous: EventLoopUtilization; samples: [number, number] } | undefined;

/** Starts sampling (once per process; the timer never keeps the process alive). */
export function watchEventLoop(): void {
  if (sampler) return;
  const state = { previous: performance.eventLoopUtilization(), samples: [0, 0] as [number, number] };
  setInterval(() => {
    const now = performance.eventLoopUtilization();
    state.samples = [state.samples[1], performance.eventLoopUtilization(now, state.previous).utilization];
    state.previous = now;
  }, SAMPLE_MS).unref();
  sampler = state;
}

/**
 * The lower of the last two half-second samples, 0 to 1: high only when the loop was busy the
 * whole second, not for one heavy moment (a boot, a flush). 0 until a second has been sampled.
 */
export function sustainedEventLoopUtilisation(): number {
  watchEventLoop();
  return Math.min(...sampler!.samples);
}
