/**
 * Plan limits, quotas and the reply cache as a client meets them through POST /api/chat, with
 * real Redis and PostgreSQL and the provider double counting every model call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chargeTokens } from "@/lib/limits/token-budget";
import { TIER_POLICIES } from "@/lib/limits/policies";
import { startRouteApp, type RouteApp } from "./support/route-app";
import { RouteClient } from "./support/route-client";
import { uniqueSuffix } from "./support/scratch";

let app: RouteApp;

beforeAll(async () => {
  app = await startRouteApp({ provider: { tokensPerReply: 6 } });
});

afterAll(async () => {
  await app?.dispose();
});

/** A new guest session; `signInFrom` is the address it was started from, if not the client's own. */
async function guest(ip?: string, signInFrom?: string): Promise<RouteClient> {
  const client = new RouteClient(ip);
  const response = await client.call(app.routes.auth.POST, {
    method: "POST",
    path: "/api/auth/sign-in/anonymous",
    json: {},
    headers: signInFrom ? { "x-forwarded-for": signInFrom } : {},
  });
  expect(response.status).toBe(200);
  return client;
}

async function account(): Promise<{ client: RouteClient; userId: string }> {
  const client = new RouteClient();
  const response = await client.call(app.routes.auth.POST, {
    method: "POST",
    path: "/api/auth/sign-up/email",
    json: { email: `limits-${uniqueSuffix()}@example.test`, password: "correct horse battery", name: "Limits" },
  });
  expect(response.status).toBe(200);
  return { client, userId: (await response.json()).user.id };
}

function send(client: RouteClient, text: string, chatId = `c_${uniqueSuffix()}`) {
  return client.call(app.routes.chat.POST, {
    method: "POST",
    path: "/api/chat",
    json: { chatId, messageId: `m_${uniqueSuffix()}`, text },
  });
}

describe("limits on POST /api/chat", () => {
  it("carries RateLimit headers and the messages left today on every accepted message", async () => {
    const { client } = await account();
    const response = await send(client, "headers please");
    expect(response.status).toBe(200);
    await response.text();
    const header = (name: string) => response.headers.get(name) ?? "(missing)";
    const [limit, remaining, reset] = ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"].map(header);
    for (const value of [limit, remaining, reset]) expect(value).toMatch(/^\d+$/);
    // A new account's first message: whichever limit is closest, this message was its first use.
    expect(Number(limit)).toBeGreaterThan(0);
    expect(Number(remaining)).toBe(Number(limit) - 1);
    expect(Number(reset)).toBeGreaterThan(0);
    expect(Number(response.headers.get("x-messages-remaining-today"))).toBe(TIER_POLICIES.free.messagesPerDay - 1);
  });

  it("refuses a guest past its burst with 429, Retry-After and a typed body", async () => {
    const client = await guest();
    const burst = TIER_POLICIES.guest.burst.size;
    for (let index = 0; index < burst; index += 1) {
      const response = await send(client, `quick ${index}`);
      expect(response.status).toBe(200);
      await response.text();
    }
    const chatId = `c_${uniqueSuffix()}`;
    const refused = await send(client, "one too many", chatId);
    expect(refused.status).toBe(429);
    const body = await refused.json();
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.retryAfter).toBeGreaterThan(0);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // The refused message was not stored: its chat does not exist.
    const chat = await client.call(app.routes.chatById.GET, { path: `/api/chats/${chatId}`, params: { id: chatId } });
    expect(chat.status).toBe(404);

    // Refused before anything else is said, even about a chat that is not the sender's.
    const theirs = `c_${uniqueSuffix()}`;
    const stranger = await guest();
    await (await send(stranger, "my own chat", theirs)).text();
    const intoTheirs = await send(client, "not my chat", theirs);
    expect(intoTheirs.status).toBe(429);
  });

  it("holds the guest limit of a network across fresh guest sessions", async () => {
    const ip = "198.51.100.77";
    let refused: Response | undefined;
    // Each message from a new guest session (started elsewhere, so the limit on new sessions does
    // not step in first): only the network's chat allowance can stop them.
    for (let index = 0; index < 40 && !refused; index += 1) {
      const response = await send(await guest(ip, `192.0.2.${index + 1}`), `from the same network ${index}`);
      if (response.status === 429) refused = response;
      else await response.text();
    }
    expect(refused, "a fresh guest session from the same network was refused").toBeDefined();
    expect((await refused!.json()).error.code).toBe("rate_limited");
  });

  it("refuses a user over the daily token quota before any model call", async () => {
    const { client, userId } = await account();
    await chargeTokens(app.services, { userId, tier: "free" }, TIER_POLICIES.free.tokensPerDay + 1);
    const callsBefore = app.provider.stats().requests;
    const refused = await send(client, "anything at all");
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.code).toBe("quota_exceeded");
    expect(app.provider.stats().requests).toBe(callsBefore);
  });
});

describe("the reply cache", () => {
  it("answers the same first message from the cache, with no second model call", async () => {
    const prompt = `What is the capital of France ${uniqueSuffix()}?`;
    const first = await send((await account()).client, prompt);
    const firstText = await first.text();
    const callsAfterFirst = app.provider.stats().requests;

    const second = await send((await account()).client, `  ${prompt.toUpperCase()}  `);
    expect(second.status).toBe(200);
    const secondText = await second.text();
    expect(app.provider.stats().requests).toBe(callsAfterFirst);
    const deltas = (text: string) => [...text.matchAll(/"delta":"([^"]*)"/g)].map((match) => match[1]).join("");
    expect(deltas(secondText)).toBe(deltas(firstText));
    expect(deltas(secondText).length).toBeGreaterThan(0);
  });

  it("never shares a reply to a later turn", async () => {
    const { client } = await account();
    const chatId = `c_${uniqueSuffix()}`;
    await (await send(client, "opening line", chatId)).text();
    const prompt = `follow-up ${uniqueSuffix()}`;
    await (await send(client, prompt, chatId)).text();
    const calls = app.provider.stats().requests;
    const other = await account();
    const otherChat = `c_${uniqueSuffix()}`;
    await (await send(other.client, "opening line", otherChat)).text();
    await (await send(other.client, prompt, otherChat)).text();
    // "opening line" came from the cache; the follow-up had to be asked again.
    expect(app.provider.stats().requests).toBe(calls + 1);
  });
});
