/**
 * The bench's measuring stick for the provider-behaviours phase: the provider's own minimum comes
 * from replaying arrivals through each limiter (earliestAdmissions). Checked against the provider
 * double itself, on a stopped clock: each request is admitted at the moment the replay names and
 * refused a millisecond before it, so the minimum is neither too generous nor too strict.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { earliestAdmissions, PROVIDER_BEHAVIOURS } from "@/bench/lib/provider-behaviours";
import { startProviderDouble, type LimiterKind, type ProviderDouble } from "@/lib/testing/provider-double";

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

  it("measures every behaviour at the same 600 a minute", () => {
    for (const behaviour of PROVIDER_BEHAVIOURS) expect((behaviour.rpm * 60_000) / behaviour.windowMs).toBe(600);
  });
});
