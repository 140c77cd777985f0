/**
 * Costs and budgets as the README documents them, through the real route handlers and the
 * provider double, on either driver set (run by tests/costs*.test.ts):
 *
 * - a reply's cost is recorded from the tokens the provider reported and the price table
 *   (LLM_PRICES), shown to its sender (GET /api/account/usage), to admins (the user's page, the
 *   overview by model, plan and day, the month's top spenders) and in /api/metrics;
 * - a budget an admin set refuses the next message with 429 budget_exceeded once what is left
 *   could not pay for the longest reply, saying which budget and when it renews;
 * - reservations made at once cannot together hold more than the budget (the ones that do not
 *   fit are refused with the budget's message), and what was reserved but not used comes back;
 * - a call that fails before its first token gives its reservation back, and a reply from the
 *   reply cache costs nothing;
 * - a user sees only their own spending; bad input to the new routes is a typed 4xx.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TIER_POLICIES } from "@/lib/limits/policies";
import type { AccountUsage } from "@/lib/account/account-usage";
import { reserveSpend, settleSpend } from "@/lib/costs/spend-budget";
import { flushHistory } from "@/lib/history/flush-history";
import type { DriverSet } from "./app-services";
import { startRouteApp, type RouteApp } from "./route-app";
import { grantAdmin, sendMessage, signUp, type RouteUser } from "./route-users";
import { readChunks, textOfChunks } from "./ui-stream";
import { waitFor } from "./wait-for";

/** double-small at $1,000 / $2,000 per million tokens: a micro-dollar cost per token that is easy to check. */
const INPUT_MICROS_PER_TOKEN = 1_000;
const OUTPUT_MICROS_PER_TOKEN = 2_000;
const METRICS_TOKEN = "costs-metrics-token-0123456789";
const REPLY_WORDS = 100;
/** What a free account's longest reply costs at that price: a budget must hold this for a message to go. */
const LONGEST_REPLY_MICROS = TIER_POLICIES.free.maxOutputTokens * OUTPUT_MICROS_PER_TOKEN;

export function costsSuite(drivers: DriverSet): void {
  let app: RouteApp;
  let admin: RouteUser;

  beforeAll(async () => {
    app = await startRouteApp({
      drivers,
      // One quick retry, so a reply the provider keeps failing is given up on in a moment.
      env: { LLM_PRICES: "double-small=1000/2000", METRICS_TOKEN, LLM_MAX_RETRIES: "1", LLM_RETRY_BASE_MS: "50" },
      provider: { tokensPerReply: REPLY_WORDS },
    });
    const account = await signUp(app);
    await grantAdmin(app, account.email);
    admin = account;
  }, 120_000);

  afterAll(async () => {
    await app?.dispose();
  });

  async function usageOf(user: RouteUser): Promise<AccountUsage> {
    const response = await user.client.call(app.routes.accountUsage.GET, { path: "/api/account/usage" });
    expect(response.status).toBe(200);
    return response.json();
  }

  const micros = (usd: number | null) => Math.round((usd ?? NaN) * 1_000_000);

  function setBudget(userId: string, json: unknown) {
    return admin.client.call(app.routes.adminUser.PATCH, { method: "PATCH", path: `/api/admin/users/${userId}`, params: { id: userId }, json });
  }

  /** Sends a message and reads its reply to the end; answers the reply's text and what the provider billed for it. */
  async function reply(user: RouteUser, text: string): Promise<{ status: number; text: string; costMicros: number }> {
    const before = app.provider.stats();
    const response = await sendMessage(app, user.client, { text });
    if (response.status !== 200) return { status: response.status, text: "", costMicros: 0 };
    const chunks = await readChunks(response);
    const after = app.provider.stats();
    return {
      status: 200,
      text: textOfChunks(chunks) + chunks.flatMap((chunk) => (chunk.type === "error" ? [String(chunk.errorText)] : [])).join(""),
      costMicros:
        (after.promptTokens - before.promptTokens) * INPUT_MICROS_PER_TOKEN +
        (after.completionTokens - before.completionTokens) * OUTPUT_MICROS_PER_TOKEN,
    };
  }

  describe("the cost of every reply is recorded when it finishes", () => {
    it("prices the provider's tokens with the price table, and shows the cost to its sender, to admins and in /api/metrics, to nobody else", async () => {
      const [user, stranger] = await Promise.all([signUp(app), signUp(app)]);
      const { costMicros } = await reply(user, "What does this cost?");
      expect(costMicros).toBeGreaterThan(REPLY_WORDS * OUTPUT_MICROS_PER_TOKEN - 1);

      const usage = await waitFor("the reply's cost", () => usageOf(user), (read) => read.today.spendUsd > 0);
      expect(micros(usage.today.spendUsd)).toBe(costMicros);
      expect(micros(usage.month.spendUsd)).toBe(costMicros);
      // No budget applies to a free account unless BUDGETS_USD or an admin sets one.
      expect(usage.budgets).toBeNull();
      expect((await usageOf(stranger)).today.spendUsd).toBe(0);

      const detail = await admin.client.call(app.routes.adminUser.GET, { path: `/api/admin/users/${user.userId}`, params: { id: user.userId } });
      expect((await detail.json()).usage.today.spendMicros).toBe(costMicros);
      const overview = await waitFor(
        "the spend counters",
        async () => (await admin.client.call(app.routes.adminOverview.GET, { path: "/api/admin/overview" })).json(),
        (read) => read.spend.byModelAndPlan.length > 0,
      );
      expect(overview.spend.byModelAndPlan).toContainEqual({ model: "double-small", plan: "free", micros: costMicros });
      expect(overview.spend.byDay.at(-1).byPlan.free).toBe(costMicros);

      // Saved to Postgres (or PGlite), the reply puts its sender among the month's top spenders.
      await flushHistory(app.services);
      const spenders = await admin.client.call(app.routes.adminSpend.GET, { path: "/api/admin/spend" });
      expect((await spenders.json()).users).toContainEqual({ userId: user.userId, email: user.email, plan: "free", micros: costMicros });
      const notAdmin = await user.client.call(app.routes.adminSpend.GET, { path: "/api/admin/spend" });
      expect(notAdmin.status).toBe(403);

      // The price table, as the configuration page shows it: a model without a price says so.
      const configuration = await (await admin.client.call(app.routes.adminConfig.GET, { path: "/api/admin/config" })).json();
      expect(configuration.costs.prices).toEqual([
        { model: "double-small", price: { inputMicrosPerMillion: 1_000_000_000, outputMicrosPerMillion: 2_000_000_000 } },
        { model: "double-large", price: null },
      ]);

      const metrics = await admin.client.call(app.routes.metrics.GET, { path: "/api/metrics", headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(await metrics.text()).toContain(`stampede_spend_usd_total{model="double-small",plan="free"} ${costMicros / 1_000_000}`);
    });
  });

  describe("budgets in currency are reserved before the model call and settled after", () => {
    it("refuses the next message with 429 budget_exceeded once what is left cannot pay for the longest reply, before any model call", async () => {
      const user = await signUp(app);
      // Room for one longest reply and a little: after a real reply, less than another would need.
      const budgetMicros = LONGEST_REPLY_MICROS + 100_000;
      expect((await setBudget(user.userId, { dailyBudgetUsd: budgetMicros / 1_000_000 })).status).toBe(200);

      const first = await reply(user, "Spend some of my budget");
      expect(first.status).toBe(200);
      const settled = await waitFor("the reply to settle", () => usageOf(user), (read) => micros(read.budgets?.daily.usedUsd ?? 0) === first.costMicros);
      expect(micros(settled.budgets?.daily.budgetUsd ?? null)).toBe(budgetMicros);
      expect(settled.budgets?.monthly.budgetUsd).toBeNull();

      const callsBefore = app.provider.stats().requests;
      const refused = await sendMessage(app, user.client, { text: "And some more" });
      expect(refused.status).toBe(429);
      const { error } = await refused.json();
      expect(error.code).toBe("budget_exceeded");
      expect(error.message).toMatch(/^You've reached your daily budget of \$4\.10\. It renews in \d+ (hours?|minutes?|seconds?)\.$/);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(app.provider.stats().requests).toBe(callsBefore);
      const overview = await (await admin.client.call(app.routes.adminOverview.GET, { path: "/api/admin/overview" })).json();
      expect(overview.refusals.free.budget_exceeded).toBe(1);

      // Back to the plan's (none): the user can send again.
      expect((await setBudget(user.userId, { dailyBudgetUsd: null })).status).toBe(200);
      expect((await reply(user, "Unlimited again")).status).toBe(200);

      // A monthly budget too small for any reply refuses the first message, and says which budget.
      expect((await setBudget(user.userId, { monthlyBudgetUsd: 0.01 })).status).toBe(200);
      const monthly = await sendMessage(app, user.client, { text: "Not this month" });
      expect(monthly.status).toBe(429);
      expect((await monthly.json()).error.message).toMatch(/^You've reached your monthly budget of \$0\.01\. It renews (in|on) [^.]+\.$/);
    });

    it("lets reservations made at once hold no more than the budget, and gives back what a settled reply did not use", async () => {
      // A user's replies run one at a time; reservations at once still meet in the shared counter
      // (several instances, a retry), and are what the limiter must keep within the budget.
      const user = await signUp(app);
      const reservationMicros = LONGEST_REPLY_MICROS;
      const budgetMicros = 3 * reservationMicros + 100_000;
      expect((await setBudget(user.userId, { dailyBudgetUsd: budgetMicros / 1_000_000 })).status).toBe(200);
      const spender = { userId: user.userId, budget: { dailyMicros: budgetMicros } };
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => reserveSpend(app.services, spender, reservationMicros)));
      const reserved = outcomes.flatMap((outcome) => (outcome.kind === "reserved" ? [outcome.reservation] : []));
      const refused = outcomes.flatMap((outcome) => (outcome.kind === "refused" ? [outcome.message] : []));
      expect(reserved).toHaveLength(3);
      expect(refused).toHaveLength(3);
      expect(refused[0]).toMatch(/^You've reached your daily budget of \$12\.10\. It renews in /);
      const used = async () => micros((await usageOf(user)).budgets?.daily.usedUsd ?? null);
      expect(await used()).toBe(3 * reservationMicros);

      // One settles with what it cost, one fails before its first token (all back), one is still running.
      await settleSpend(app.services, reserved[0], 123_456);
      await settleSpend(app.services, reserved[1], 0);
      expect(await used()).toBe(reservationMicros + 123_456);
      // With that room back, a message goes again.
      expect((await reply(user, "Room again")).status).toBe(200);
    });
  });

  describe("what costs nothing", () => {
    it("gives the whole reservation back when the provider fails before the first token, and charges nothing for a reply from the reply cache", async () => {
      const [failing, first, second] = await Promise.all([signUp(app), signUp(app), signUp(app)]);
      const budget = { dailyBudgetUsd: 100 };
      for (const user of [failing, first, second]) expect((await setBudget(user.userId, budget)).status).toBe(200);

      app.provider.setOptions({ failureRate: 1 });
      let failed: Awaited<ReturnType<typeof reply>>;
      try {
        failed = await reply(failing, "This one will not be answered");
      } finally {
        app.provider.setOptions({ failureRate: 0 });
      }
      expect(failed.text).toContain("The model could not answer this time");
      const afterFailure = await usageOf(failing);
      expect(afterFailure.budgets?.daily.usedUsd).toBe(0);
      expect(afterFailure.today.spendUsd).toBe(0);

      const question = `A question asked twice ${Date.now()}`;
      const answered = await reply(first, question);
      const callsBefore = app.provider.stats().requests;
      const cached = await reply(second, question);
      expect(app.provider.stats().requests).toBe(callsBefore);
      expect(cached.text).toBe(answered.text);
      await waitFor("the first reply's cost", () => usageOf(first), (read) => micros(read.today.spendUsd) === answered.costMicros);
      const secondUsage = await usageOf(second);
      expect(secondUsage.today.spendUsd).toBe(0);
      expect(secondUsage.budgets?.daily.usedUsd).toBe(0);
    });
  });

  describe("bad input", () => {
    it("answers a typed 4xx to bad budgets and to a caller with no session; only admins set budgets", async () => {
      const user = await signUp(app);
      for (const json of [{ dailyBudgetUsd: -1 }, { dailyBudgetUsd: "ten" }, { monthlyBudgetUsd: 0.001 }, { weeklyBudgetUsd: 5 }, {}]) {
        const response = await setBudget(user.userId, json);
        expect(response.status, JSON.stringify(json)).toBe(400);
        expect((await response.json()).error.code).toBe("invalid_request");
      }
      const bySelf = await user.client.call(app.routes.adminUser.PATCH, {
        method: "PATCH",
        path: `/api/admin/users/${user.userId}`,
        params: { id: user.userId },
        json: { dailyBudgetUsd: 1000 },
      });
      expect(bySelf.status).toBe(403);
      const { RouteClient } = await import("./route-client");
      const anonymous = await new RouteClient().call(app.routes.accountUsage.GET, { path: "/api/account/usage" });
      expect(anonymous.status).toBe(401);
      expect((await anonymous.json()).error.code).toBe("unauthorized");
    });
  });
}
