/**
 * The bench's measuring stick for the provider-behaviours phase: the provider's own minimum comes
 * from replaying arrivals through each limiter (earliestAdmissions). Checked against the provider
 * double itself, on a stopped clock: each request is admitted at the moment the replay names and
 * refused a millisecond before it, so the minimum is neither too generous nor too strict. Then
 * the behaviour where the scheduler has the most to learn, against the same minimum.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { earliestAdmissions, PROVIDER_BEHAVIOURS, untilPhase } from "@/bench/lib/provider-behaviours";
import { startProviderDouble, type LimiterKind, type ProviderDouble } from "@/lib/testing/provider-double";
import { sendBurst, startTestApp, type TestApp } from "./support/app-services";

let double: ProviderDouble | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await double?.close();
  double = undefined;
});

async function postAt(target: ProviderDouble, at: number): Promise<number> {
  vi.setSystemTime(at);
  const response = await fetch(`${target.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "double-model", messages: [{ role: "user", content: "hi" }] }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe("the provider's minimum for a burst", () => {
  it.each(["sliding", "fixed", "bucket"] as LimiterKind[])("admits a burst through a %s limiter at the moments it names, and not a millisecond sooner", async (limiter) => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const shape = { limiter, rpm: 4, windowMs: 600 };
    double = await startProviderDouble(shape);
    // 100 ms into a window, so a fixed limiter's boundaries are not at the arrival.
    const arrival = 1_000_000_000_300;
    const admissions = earliestAdmissions(Array.from({ length: 13 }, () => arrival), shape).map(Math.ceil);
    // Thirteen at once through four per window: more than two windows' wait for the last.
    expect(admissions.at(-1)! - arrival).toBeGreaterThan(2 * shape.windowMs);

    for (const [index, at] of admissions.entries()) {
      if (index > 0 && at > admissions[index - 1]) expect(await postAt(double, at - 1)).toBe(429);
      expect(await postAt(double, at)).toBe(200);
    }
  });

  it("begins a burst at the moment of the provider's window that --behaviour-phase names, within one window", () => {
    for (const now of [1_000_000_000_000, 1_000_000_004_321, 1_000_000_009_000, 1_000_000_009_999]) {
      const waitMs = untilPhase(now, 10_000, 9_000);
      expect(waitMs).toBeGreaterThanOrEqual(0);
      expect(waitMs).toBeLessThan(10_000);
      expect((now + waitMs) % 10_000).toBe(9_000);
    }
  });

  it("measures every behaviour at the same 600 a minute", () => {
    for (const behaviour of PROVIDER_BEHAVIOURS) expect((behaviour.rpm * 60_000) / behaviour.windowMs).toBe(600);
  });
});

/**
 * A provider enforcing quantized windows (10 per 3 s, counted afresh at each multiple of 3 s on the
 * clock, like the double's "fixed" limiter) and saying nothing, not even Retry-After, reached
 * through the real drivers (PostgreSQL, Redis, the in-process runner). The burst arrives 1.8 s
 * into one of the provider's windows: a bucket whose windows open at its own first start admits
 * its second ten 1.8 s after the provider's window opened, and its last ten 1.8 s late too. The
 * bucket has to find where the provider's windows begin.
 */
describe("a provider with quantized windows and no headers", () => {
  const windowMs = 3000;
  const perWindow = 10;
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.dispose();
    app = undefined;
  });

  it("admits a burst of three windows' worth in the provider's windows where its minimum puts them, with no refusal", async () => {
    app = await startTestApp("services", {
      env: {
        LLM_RPM: String((perWindow * 60_000) / windowMs),
        LLM_LIMIT_WINDOW_MS: String(windowMs),
        LLM_MAX_CONCURRENCY: "40",
        LLM_RETRY_BASE_MS: "50",
      },
      provider: { rpm: perWindow, windowMs, limiter: "fixed", headers: "none", tokensPerReply: 5 },
    });
    // One reply first, as a deployment's bucket has seen earlier windows (a fresh bucket's first
    // window does not probe); then the users are made and the burst is sent 1.8 s into a window
    // of the clock, after the bucket's first window has ended.
    const warmedAt = Date.now();
    await sendBurst(app, 1);
    const burstAt = (now: number) => Math.floor(Math.max(now, warmedAt + windowMs) / windowMs) * windowMs + windowMs + 1800;
    const replies = await sendBurst(app, 3 * perWindow, { sendAt: burstAt });
    for (const { chunks } of replies) expect(chunks.at(-1)).toMatchObject({ type: "finish" });

    const stats = app.provider!.stats();
    // At most 1% of 30 requests refused is none.
    expect(stats.rateLimited).toBe(0);
    expect(stats.completed).toBe(3 * perWindow + 1);
    // The provider's minimum admits the last ten when its third window opens, 4.2 s after the
    // burst; a bucket on windows of its own admits them 1.8 s later.
    const earliestLast = Math.max(...earliestAdmissions(replies.map((reply) => reply.sentAt), { limiter: "fixed", rpm: perWindow, windowMs }));
    const lastAdmitted = Math.max(...stats.startTimes);
    expect(lastAdmitted).toBeGreaterThanOrEqual(earliestLast);
    expect(lastAdmitted - earliestLast).toBeLessThan(600);
  });
});
