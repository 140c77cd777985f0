/**
 * Issue 14, point 5: spend is bounded per message and per address. The whole chat history used
 * to go to the model with every message, the daily token quota only checked that something was
 * left (so replies sent while a little was left could spend far past it), and each new guest
 * session brought a fresh quota, so one network could spend without bound.
 *
 * Replayed over HTTP against `next start` (needs a production build: `npm run build`), its model
 * the provider double, which records every prompt and bills what it reports as usage.
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { TIER_POLICIES } from "@/lib/limits/policies";
import { startProviderDouble, type ProviderDouble } from "@/lib/testing/provider-double";
import { HttpUser, readStream } from "../support/http-user";
import { startProductionInstance, type ProductionInstance } from "../support/production-instance";
import { uniqueSuffix } from "../support/scratch";

/** Estimated tokens of history sent per reply: two of the messages below fit, three do not. */
const HISTORY_TOKENS = 700;

let server: ProductionInstance;
let provider: ProviderDouble;
const prompts: string[][] = [];
/** Words in each reply the double sends. */
let replyWords = 5;

beforeAll(async () => {
  provider = await startProviderDouble({
    reply: ({ messages }) => {
      prompts.push(messages.map((message) => message.content));
      return Array.from({ length: replyWords }, (_, index) => `w${index}`).join(" ");
    },
  });
  server = await startProductionInstance({
    port: 3750,
    env: { OPENAI_BASE_URL: provider.url, LLM_HISTORY_TOKENS: String(HISTORY_TOKENS) },
  });
}, 120_000);

afterEach(() => {
  provider.setOptions({ promptTokensOverhead: 0 });
  replyWords = 5;
});

afterAll(async () => {
  await server?.stop();
  await provider?.close();
}, 60_000);

function billed(): number {
  const { promptTokens, completionTokens } = provider.stats();
  return promptTokens + completionTokens;
}

/** A new chat's first message, worded anew each time so that no reply comes from the reply cache. */
function opening(text = "Hello") {
  return { chatId: `c-${uniqueSuffix()}`, messageId: "m1", text: `${text} (${uniqueSuffix()})` };
}

async function guest(ip: string): Promise<HttpUser> {
  const user = new HttpUser(ip, server.url);
  await user.signIn(server.url);
  return user;
}

it("sends the model the latest turns within the history budget, not the whole chat", async () => {
  const user = await guest("198.51.100.81");
  const chatId = `long-${uniqueSuffix()}`;
  // About 300 estimated tokens each (1,200 characters of prose), so three exceed the budget.
  const texts = [1, 2, 3].map((turn) => `turn${turn}-marker ${"lorem ipsum dolor sit amet ".repeat(44)}`);
  for (const [index, text] of texts.entries()) {
    const read = await readStream(await user.send(server.url, { chatId, messageId: `m${index}`, text }));
    expect(read).toMatchObject({ status: 200, finished: true, text: "w0 w1 w2 w3 w4" });
  }
  const last = prompts.at(-1)!.join("\n");
  expect(last).toContain("turn3-marker");
  expect(last).toContain("turn2-marker");
  expect(last).not.toContain("turn1-marker");
  // The oldest turn went with its answer: the prompt opens with the user.
  expect(prompts.at(-1)).toHaveLength(3);
}, 60_000);

it("shares one daily token quota between every guest session from a network, with a typed 429", async () => {
  // Each reply bills about a quarter of a network's guest allowance (100,000 tokens a day).
  provider.setOptions({ promptTokensOverhead: 25_000 });
  const ip = "198.51.100.82";
  let refused: Response | undefined;
  let answered = 0;
  for (let session = 0; session < 10 && !refused; session += 1) {
    const response = await (await guest(ip)).send(server.url, opening());
    if (response.status === 429) refused = response;
    else {
      expect(await readStream(response)).toMatchObject({ status: 200, finished: true });
      answered += 1;
    }
  }
  expect(refused, "a new guest session from the spent network was refused").toBeDefined();
  expect(answered).toBeLessThanOrEqual(4);
  expect((await refused!.json()).error).toMatchObject({ code: "quota_exceeded", message: expect.stringContaining("your network") });
  expect(Number(refused!.headers.get("retry-after"))).toBeGreaterThan(0);

  // Another network is not affected.
  provider.setOptions({ promptTokensOverhead: 0 });
  const elsewhere = await (await guest("198.51.100.83")).send(server.url, opening());
  expect(elsewhere.status).toBe(200);
  await elsewhere.text();
}, 120_000);

it("never lets messages sent together spend more than the quota has left", async () => {
  const user = await guest("198.51.100.84");
  const { tokensPerDay, maxOutputTokens } = TIER_POLICIES.guest;
  // The first reply leaves a little over one longest reply's worth of the guest's day.
  provider.setOptions({ promptTokensOverhead: tokensPerDay - maxOutputTokens - 500 });
  const before = billed();
  const first = await readStream(await user.send(server.url, opening()));
  expect(first).toMatchObject({ status: 200, finished: true });
  const left = tokensPerDay - (billed() - before);
  expect(left).toBeGreaterThan(maxOutputTokens);

  // Two messages at once, each answered with as long a reply as the plan allows.
  provider.setOptions({ promptTokensOverhead: 0 });
  replyWords = maxOutputTokens;
  const spentBefore = billed();
  const outcomes = await Promise.all(
    [1, 2].map(async (index) => {
      const response = await user.send(server.url, opening(`Tell me a long story ${index}`));
      // Refused at once when the other's reply had already been charged, else when its turn came.
      if (response.status === 429) return { answered: false, error: ((await response.json()) as { error: { message: string } }).error.message };
      const read = await readStream(response);
      return { answered: read.error === undefined && read.finished, error: read.error };
    }),
  );
  expect(billed() - spentBefore).toBeLessThanOrEqual(left);
  // One got its answer; the other none, and was told why.
  expect(outcomes.filter(({ answered }) => answered)).toHaveLength(1);
  expect(outcomes.find(({ answered }) => !answered)?.error).toContain("reply allowance");
}, 120_000);
