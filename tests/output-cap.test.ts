/**
 * Every reply has an output cap, the sender's plan's `maxOutputTokens` (lib/limits/policies.ts),
 * sent to the provider: a model that would go on stops there, so no reply runs (and spends)
 * without bound. Through the real routes on PostgreSQL + Redis and the OpenAI-compatible provider
 * double, which honours `max_tokens` as OpenAI does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TIER_POLICIES } from "@/lib/limits/policies";
import { startRouteApp, type RouteApp } from "./support/route-app";
import { grantAdmin, sendMessage, signUp, startGuest } from "./support/route-users";
import { readChunks, textOfChunks } from "./support/ui-stream";

/** Longer than a guest may have, shorter than an admin's cap. */
const WORDS_THE_MODEL_WOULD_SAY = TIER_POLICIES.guest.maxOutputTokens + 200;

let app: RouteApp;

beforeAll(async () => {
  app = await startRouteApp({ provider: { tokensPerReply: WORDS_THE_MODEL_WOULD_SAY } });
});

afterAll(async () => {
  await app?.dispose();
});

async function replyWords(response: Response): Promise<number> {
  expect(response.status).toBe(200);
  const chunks = await readChunks(response);
  expect(chunks.at(-1)?.type).toBe("finish");
  return textOfChunks(chunks).trim().split(/\s+/).length;
}

describe("the output cap of a reply", () => {
  it("stops a guest's reply at the guest plan's maxOutputTokens", async () => {
    const guest = await startGuest(app);
    expect(await replyWords(await sendMessage(app, guest.client, { text: "tell me everything" }))).toBe(TIER_POLICIES.guest.maxOutputTokens);
  });

  it("lets a plan with a higher cap have the whole answer", async () => {
    // Another question than the guest's: the same first message would be answered from the reply cache.
    const account = await signUp(app);
    await grantAdmin(app, account.email);
    expect(await replyWords(await sendMessage(app, account.client, { text: "tell me everything you know" }))).toBe(WORDS_THE_MODEL_WOULD_SAY);
  });
});
