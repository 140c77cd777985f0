/**
 * Token usage as the README promises it, through the real routes and the provider double, on
 * either driver set (run by tests/usage-recording*.test.ts): "Tokens are reserved before each model
 * call and settled after it … A reply served from the reply cache counts as a message but spends
 * no tokens." What a user meets is the daily token quota (a guest's is 30,000 tokens), counted
 * in Redis or by its in-process twin; what an operator sees is the admin API's usage of a user.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chargeTokens } from "@/lib/limits/token-budget";
import { TIER_POLICIES } from "@/lib/limits/policies";
import type { DriverSet } from "./app-services";
import { startRouteApp, type RouteApp } from "./route-app";
import type { RouteClient } from "./route-client";
import { grantAdmin, sendMessage, signUp, startGuest } from "./route-users";
import { waitFor } from "./wait-for";
import { uniqueSuffix } from "./scratch";

const ADMIN_EMAIL = "usage-admin@example.test";
/** As long as a guest's reply may be (its plan's output cap). */
const LONGEST_REPLY_WORDS = TIER_POLICIES.guest.maxOutputTokens;
const SHORT_REPLY_WORDS = 5;
/**
 * Spent by earlier replies, so that one more longest reply still fits (its reservation is its
 * prompt, a few dozen tokens, and the output cap) and leaves less than another would need.
 */
const SPENT_EARLIER = TIER_POLICIES.guest.tokensPerDay - LONGEST_REPLY_WORDS - 100;

export function usageRecordingSuite(drivers: DriverSet): void {
  let app: RouteApp;
  let admin: RouteClient;

  beforeAll(async () => {
    app = await startRouteApp({ drivers, provider: { tokensPerReply: SHORT_REPLY_WORDS } });
    expect(app.services.hot.driver).toBe(drivers === "embedded" ? "memory" : "redis");
    ({ client: admin } = await signUp(app, { email: ADMIN_EMAIL }));
    await grantAdmin(app, ADMIN_EMAIL);
  });

  afterAll(async () => {
    await app?.dispose();
  });

  /** Today's messages and tokens of a user, as the admin API reports them. */
  async function usageToday(userId: string): Promise<{ messages: number; tokens: number }> {
    const response = await admin.call(app.routes.adminUser.GET, { path: `/api/admin/users/${userId}`, params: { id: userId } });
    expect(response.status).toBe(200);
    const { messages, tokens } = (await response.json()).usage.today;
    return { messages, tokens };
  }

  function providerTokens(): number {
    const { promptTokens, completionTokens } = app.provider.stats();
    return promptTokens + completionTokens;
  }

  /** Replies whose job has finished, as the admin overview counts them. */
  async function completedReplies(): Promise<number> {
    const response = await admin.call(app.routes.adminOverview.GET, { path: "/api/admin/overview" });
    expect(response.status).toBe(200);
    return (await response.json()).replies.completed;
  }

  /** A guest whose message got a reply as long as a guest's reply may be. */
  async function guestWithLongestReply(prompt: string) {
    const guest = await startGuest(app);
    return { ...guest, ...(await replyTo(guest, prompt)) };
  }

  /** Sends `prompt` and reads a reply as long as a guest's may be, until its job has finished. */
  async function replyTo(guest: { client: RouteClient }, prompt: string): Promise<{ tokensSpent: number }> {
    app.provider.setOptions({ tokensPerReply: LONGEST_REPLY_WORDS });
    const [tokensBefore, completedBefore] = [providerTokens(), await completedReplies()];
    const response = await sendMessage(app, guest.client, { text: prompt });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(`word${LONGEST_REPLY_WORDS}`);
    app.provider.setOptions({ tokensPerReply: SHORT_REPLY_WORDS });
    // The reader has the whole reply a moment before its job has charged the tokens and filled
    // the reply cache; the job counts the reply as completed once it has done both.
    expect(await waitFor("the reply job to count the reply as completed", completedReplies, (completed) => completed > completedBefore)).toBe(completedBefore + 1);
    return { tokensSpent: providerTokens() - tokensBefore };
  }

  describe("Tokens are reserved before each model call and settled after it", () => {
    it("charges the reply's prompt and answer tokens to the sender: the admin API shows them, and a spent quota refuses the next message before any model call", async () => {
      // The day's earlier replies, counted by the same function a finished reply calls.
      const guest = await startGuest(app);
      await chargeTokens(app.services, { userId: guest.userId, tier: "guest" }, SPENT_EARLIER);
      const reply = await replyTo(guest, `Tell me everything ${uniqueSuffix()}`);
      expect(TIER_POLICIES.guest.tokensPerDay - SPENT_EARLIER - reply.tokensSpent).toBeLessThan(TIER_POLICIES.guest.maxOutputTokens);

      // What the operator sees: the tokens the provider reported for this reply, once it finished
      // (the admin API counts stored replies; the earlier spend lives in the quota only).
      expect(await usageToday(guest.userId)).toEqual({ messages: 1, tokens: reply.tokensSpent });

      // What the user meets: the day's token allowance is gone.
      const callsBefore = app.provider.stats().requests;
      const refused = await sendMessage(app, guest.client, { text: "one more, please" });
      expect(refused.status).toBe(429);
      expect((await refused.json()).error.code).toBe("quota_exceeded");
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(app.provider.stats().requests).toBe(callsBefore);
    });
  });

  describe("a reply served from the reply cache counts as a message but spends no tokens", () => {
    it("serves the cached reply without a model call, counts the message, and leaves the sender's token quota whole", async () => {
      const prompt = `What is the longest river ${uniqueSuffix()}?`;
      const first = await guestWithLongestReply(prompt);
      const callsBefore = app.provider.stats().requests;

      const second = await startGuest(app);
      const cached = await sendMessage(app, second.client, { text: prompt });
      expect(cached.status).toBe(200);
      expect(cached.headers.get("x-messages-remaining-today")).toBe(String(TIER_POLICIES.guest.messagesPerDay - 1));
      expect(await cached.text()).toContain(`word${LONGEST_REPLY_WORDS}`);
      expect(app.provider.stats().requests).toBe(callsBefore);

      // The same reply cost its first sender its tokens, and this sender none.
      expect(await usageToday(first.userId)).toEqual({ messages: 1, tokens: first.tokensSpent });
      expect(await usageToday(second.userId)).toEqual({ messages: 1, tokens: 0 });
      const next = await sendMessage(app, second.client, { text: `and the shortest ${uniqueSuffix()}?` });
      expect(next.status).toBe(200);
      await next.text();
      expect(app.provider.stats().requests).toBe(callsBefore + 1);
    });
  });
}
