// Budget periods are UTC calendar days and months (lib/costs/spend-budget.ts): each counter is
// named by the day or month it counts and renews at the next one's start, whatever its length.
import { describe, expect, it } from "vitest";
import { periodCounter } from "@/lib/costs/spend-budget";

const at = (iso: string) => Date.parse(iso);

describe("budget periods", () => {
  it("count a UTC day and renew at the next midnight", () => {
    const counter = periodCounter("daily", "u1", at("2026-12-31T23:59:30Z"));
    expect(counter.key).toBe("budget:daily:u1:2026-12-31");
    expect(counter.endsAt).toBe(at("2027-01-01T00:00:00Z"));
    expect(periodCounter("daily", "u1", at("2027-01-01T00:00:00Z")).key).toBe("budget:daily:u1:2027-01-01");
  });

  it("count a calendar month, long or short, and renew on the 1st", () => {
    expect(periodCounter("monthly", "u1", at("2026-12-06T08:00:00Z"))).toMatchObject({ key: "budget:monthly:u1:2026-12", endsAt: at("2027-01-01T00:00:00Z") });
    // Every moment of a month shares one counter: day 1 and day 31 alike.
    expect(periodCounter("monthly", "u1", at("2027-01-01T00:00:00Z")).key).toBe(periodCounter("monthly", "u1", at("2027-01-31T23:59:59Z")).key);
    expect(periodCounter("monthly", "u1", at("2028-02-29T12:00:00Z"))).toMatchObject({ key: "budget:monthly:u1:2028-02", endsAt: at("2028-03-01T00:00:00Z") });
  });

  it("keep each counter a day past its period, so a reply that ends after it still settles there", () => {
    const now = at("2026-12-31T23:00:00Z");
    expect(periodCounter("daily", "u1", now).ttlSeconds).toBe(3600 + 24 * 3600);
    expect(periodCounter("monthly", "u1", now).ttlSeconds).toBe(3600 + 24 * 3600);
  });
});
