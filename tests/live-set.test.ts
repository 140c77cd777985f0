/**
 * The shared in-progress figures (model calls in flight, open reply streams): entries a live
 * process keeps refreshing are counted however long the work takes, entries a dead process left
 * behind stop counting once stale, and ending work removes it at once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MemoryHotStore } from "@/lib/hot/memory-hot-store";
import { countLive, enterLiveSet, HEARTBEAT_MS, LIVE_SETS, STALE_AFTER_MS } from "@/lib/metrics/live-set";

describe("live sets", () => {
  let hot: MemoryHotStore;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    hot = new MemoryHotStore();
  });

  afterEach(async () => {
    await hot.close();
    vi.useRealTimers();
  });

  it("keeps counting long-running work, and forgets what a crashed process left behind", async () => {
    // What a process that died mid-call leaves: an entry nobody refreshes or removes.
    await hot.joinLine(LIVE_SETS.modelCalls, "crashed-call", Date.now());
    const live = await enterLiveSet(hot, LIVE_SETS.modelCalls, "live-call");
    expect(await countLive(hot, LIVE_SETS.modelCalls)).toBe(2);

    await vi.advanceTimersByTimeAsync(STALE_AFTER_MS + HEARTBEAT_MS);
    expect(await countLive(hot, LIVE_SETS.modelCalls)).toBe(1);
    expect(await hot.placeInLine(LIVE_SETS.modelCalls, "crashed-call")).toBeNull();

    await vi.advanceTimersByTimeAsync(5 * STALE_AFTER_MS);
    expect(await countLive(hot, LIVE_SETS.modelCalls)).toBe(1);

    await live.end();
    await live.end();
    expect(await countLive(hot, LIVE_SETS.modelCalls)).toBe(0);
    await vi.advanceTimersByTimeAsync(2 * HEARTBEAT_MS);
    expect(await countLive(hot, LIVE_SETS.modelCalls)).toBe(0);
  });

  it("keeps sets apart", async () => {
    const stream = await enterLiveSet(hot, LIVE_SETS.replyStreams, "s1");
    expect(await countLive(hot, LIVE_SETS.replyStreams)).toBe(1);
    expect(await countLive(hot, LIVE_SETS.modelCalls)).toBe(0);
    await stream.end();
  });
});
