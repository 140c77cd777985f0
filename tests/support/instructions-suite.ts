/**
 * Custom instructions as the README documents them, through the real route handlers, on either
 * driver set (run by tests/instructions*.test.ts):
 *
 * - an account's presets: created, renamed, edited, one default at a time, deleted, within their
 *   limits (typed 4xx errors otherwise); another user's preset is 404, a guest is 403;
 * - a chat uses the default, none or a chosen preset, and the provider double's record of prompts
 *   shows the chosen text reaching the model as the system message;
 * - the reply cache keys on them: the same first message under two instructions is two model
 *   calls, under the same instructions one;
 * - they are counted in the tokens a reply holds against the sender's daily quota.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reserveTokens } from "@/lib/limits/token-budget";
import { TIER_POLICIES } from "@/lib/limits/policies";
import type { DriverSet } from "./app-services";
import { startRouteApp, type RouteApp } from "./route-app";
import { signUp, startGuest, type RouteUser } from "./route-users";
import { uniqueSuffix } from "./scratch";
import { readChunks, textOfChunks, type StreamChunk } from "./ui-stream";

interface Prompt {
  role: string;
  content: string;
}

interface Preset {
  id: string;
  name: string;
  text: string;
  isDefault: boolean;
}

export function instructionsSuite(drivers: DriverSet): void {
  let app: RouteApp;

  beforeAll(async () => {
    app = await startRouteApp({ drivers, env: { FLUSH_INTERVAL: "3600" } });
  }, 120_000);

  afterAll(async () => {
    await app?.dispose();
  });

  async function send(user: RouteUser, chatId: string, text: string): Promise<StreamChunk[]> {
    const json = { chatId, messageId: `m_${uniqueSuffix()}`, text };
    const response = await user.client.call(app.routes.chat.POST, { method: "POST", path: "/api/chat", json });
    expect(response.status).toBe(200);
    return readChunks(response);
  }

  function createPreset(user: RouteUser, json: unknown) {
    return user.client.call(app.routes.instructions.POST, { method: "POST", path: "/api/instructions", json });
  }

  async function created(user: RouteUser, json: { name: string; text: string; isDefault?: boolean }): Promise<Preset> {
    const response = await createPreset(user, json);
    expect(response.status).toBe(201);
    return ((await response.json()) as { preset: Preset }).preset;
  }

  async function presetsOf(user: RouteUser): Promise<Preset[]> {
    const response = await user.client.call(app.routes.instructions.GET, { path: "/api/instructions" });
    expect(response.status).toBe(200);
    return ((await response.json()) as { presets: Preset[] }).presets;
  }

  function updatePreset(user: RouteUser, id: string, json: unknown) {
    return user.client.call(app.routes.instructionsById.PATCH, { method: "PATCH", path: `/api/instructions/${id}`, params: { id }, json });
  }

  function deletePreset(user: RouteUser, id: string) {
    return user.client.call(app.routes.instructionsById.DELETE, { method: "DELETE", path: `/api/instructions/${id}`, params: { id } });
  }

  function chooseForChat(user: RouteUser, chatId: string, preset: string) {
    return user.client.call(app.routes.chatInstructions.PUT, {
      method: "PUT",
      path: `/api/chats/${chatId}/instructions`,
      params: { id: chatId },
      json: { preset },
    });
  }

  async function errorCode(response: Response): Promise<[number, string]> {
    return [response.status, ((await response.json()) as { error: { code: string } }).error.code];
  }

  /** What the model was sent in its latest call, as the provider double records it (GET /prompts). */
  async function lastPrompt(): Promise<Prompt[]> {
    const response = await fetch(new URL("/prompts", app.provider.url));
    return ((await response.json()) as { prompts: Prompt[][] }).prompts.at(-1) ?? [];
  }

  async function lastSystemMessage(): Promise<string | undefined> {
    return (await lastPrompt()).find((message) => message.role === "system")?.content;
  }

  /** Model calls so far. */
  function modelCalls(): number {
    return app.provider.stats().requests;
  }

  describe("presets", () => {
    let owner: RouteUser;
    let stranger: RouteUser;

    beforeAll(async () => {
      [owner, stranger] = await Promise.all([signUp(app), signUp(app)]);
    });

    it("are created, renamed and edited, with one default at a time", async () => {
      const pirate = await created(owner, { name: "Pirate", text: "Answer as a pirate.", isDefault: true });
      const terse = await created(owner, { name: "Terse", text: "Answer in one line." });
      expect((await presetsOf(owner)).map(({ name, isDefault }) => [name, isDefault])).toEqual([
        ["Pirate", true],
        ["Terse", false],
      ]);

      const renamed = await updatePreset(owner, terse.id, { name: "Short", text: "Answer in five words.", isDefault: true });
      expect(renamed.status).toBe(200);
      expect((await presetsOf(owner)).map(({ name, text, isDefault }) => [name, text, isDefault])).toEqual([
        ["Pirate", "Answer as a pirate.", false],
        ["Short", "Answer in five words.", true],
      ]);
      expect((await presetsOf(stranger))).toEqual([]);

      expect(await errorCode(await updatePreset(stranger, pirate.id, { name: "Mine now" }))).toEqual([404, "not_found"]);
      expect(await errorCode(await deletePreset(stranger, pirate.id))).toEqual([404, "not_found"]);
      expect(await errorCode(await chooseForChat(stranger, `c_${uniqueSuffix()}`, pirate.id))).toEqual([404, "not_found"]);
      expect((await deletePreset(owner, pirate.id)).status).toBe(204);
      expect((await presetsOf(owner)).map(({ name }) => name)).toEqual(["Short"]);
    });

    it("refuse what is past their limits with typed errors", async () => {
      const user = await signUp(app);
      expect(await errorCode(await createPreset(user, { name: "Long", text: "x".repeat(4001) }))).toEqual([400, "invalid_request"]);
      expect(await errorCode(await createPreset(user, { name: "n".repeat(61), text: "Fine." }))).toEqual([400, "invalid_request"]);
      expect(await errorCode(await createPreset(user, { name: "  ", text: "Fine." }))).toEqual([400, "invalid_request"]);
      await created(user, { name: "Twin", text: "One." });
      expect(await errorCode(await createPreset(user, { name: "Twin", text: "Two." }))).toEqual([409, "preset_name_taken"]);
      for (let index = 1; index < 20; index += 1) await created(user, { name: `Preset ${index}`, text: `Text ${index}.` });
      expect(await errorCode(await createPreset(user, { name: "One too many", text: "No." }))).toEqual([409, "too_many_presets"]);
    });

    it("are for accounts only: a guest is told to sign up", async () => {
      const guest = await startGuest(app);
      expect(await errorCode(await guest.client.call(app.routes.instructions.GET, { path: "/api/instructions" }))).toEqual([403, "account_required"]);
      expect(await errorCode(await createPreset(guest, { name: "Guest", text: "Hi." }))).toEqual([403, "account_required"]);
      expect(await errorCode(await chooseForChat(guest, `c_${uniqueSuffix()}`, "none"))).toEqual([403, "account_required"]);
    });
  });

  describe("a chat", () => {
    it("sends its default, none, or a chosen preset to the model as the system message", async () => {
      const owner = await signUp(app);
      const stranger = await signUp(app);
      const pirate = await created(owner, { name: "Pirate", text: `Answer as a pirate ${uniqueSuffix()}.`, isDefault: true });
      const french = await created(owner, { name: "French", text: `Answer in French ${uniqueSuffix()}.` });
      const chatId = `c_${uniqueSuffix()}`;

      await send(owner, chatId, `First ${chatId}`);
      expect((await lastPrompt())[0]).toEqual({ role: "system", content: pirate.text });

      const chosen = await chooseForChat(owner, chatId, french.id);
      expect(await chosen.json()).toEqual({ choice: "preset", preset: { id: french.id, name: "French" } });
      await send(owner, chatId, "Second");
      expect(await lastSystemMessage()).toBe(french.text);
      expect((await lastPrompt()).filter((message) => message.role === "system")).toHaveLength(1);

      expect(await (await chooseForChat(owner, chatId, "none")).json()).toEqual({ choice: "none", preset: null });
      await send(owner, chatId, "Third");
      expect(await lastSystemMessage()).toBeUndefined();

      // Deleting the chosen preset takes the chat back to the default.
      expect((await chooseForChat(owner, chatId, french.id)).status).toBe(200);
      expect((await deletePreset(owner, french.id)).status).toBe(204);
      const now = await owner.client.call(app.routes.chatInstructions.GET, { path: `/api/chats/${chatId}/instructions`, params: { id: chatId } });
      expect(await now.json()).toEqual({ choice: "default", preset: { id: pirate.id, name: "Pirate" } });

      expect(await errorCode(await chooseForChat(stranger, chatId, "none"))).toEqual([404, "not_found"]);
      expect(await errorCode(await chooseForChat(owner, chatId, "not a valid id!"))).toEqual([400, "invalid_request"]);
    });

    it("can be given instructions before its first message", async () => {
      const owner = await signUp(app);
      const concise = await created(owner, { name: "Concise", text: `Be concise ${uniqueSuffix()}.` });
      const chatId = `c_${uniqueSuffix()}`;
      expect((await chooseForChat(owner, chatId, concise.id)).status).toBe(200);
      await send(owner, chatId, `Hello ${chatId}`);
      expect(await lastSystemMessage()).toBe(concise.text);
    });

    it("forgets its choice when the chat is deleted", async () => {
      const owner = await signUp(app);
      const concise = await created(owner, { name: "Concise", text: `Be concise ${uniqueSuffix()}.` });
      const chatId = `c_${uniqueSuffix()}`;
      expect((await chooseForChat(owner, chatId, concise.id)).status).toBe(200);
      await send(owner, chatId, `Hello ${chatId}`);

      const deleted = await owner.client.call(app.routes.chatById.DELETE, { method: "DELETE", path: `/api/chats/${chatId}`, params: { id: chatId } });
      expect(deleted.status).toBe(204);
      expect(await app.services.db.prisma.chatInstructions.count({ where: { chatId } })).toBe(0);
    });
  });

  describe("the reply cache", () => {
    it("answers the same first message once per set of instructions", async () => {
      const [pirateFan, frenchFan, otherPirateFan] = await Promise.all([signUp(app), signUp(app), signUp(app)]);
      const pirateText = `Answer as a pirate ${uniqueSuffix()}.`;
      await created(pirateFan, { name: "Pirate", text: pirateText, isDefault: true });
      await created(frenchFan, { name: "French", text: `Answer in French ${uniqueSuffix()}.`, isDefault: true });
      await created(otherPirateFan, { name: "Also a pirate", text: pirateText, isDefault: true });
      const question = `What is the cache ${uniqueSuffix()}?`;

      const before = modelCalls();
      const answered = await send(pirateFan, `c_${uniqueSuffix()}`, question);
      await send(frenchFan, `c_${uniqueSuffix()}`, question);
      expect(modelCalls() - before).toBe(2);

      const replayed = await send(otherPirateFan, `c_${uniqueSuffix()}`, question);
      expect(modelCalls() - before).toBe(2);
      expect(textOfChunks(replayed)).toBe(textOfChunks(answered));
    });
  });

  describe("the token budget", () => {
    it("counts the instructions in what a reply holds against the daily quota", async () => {
      const owner = await signUp(app);
      // 1,333 words, as many tokens estimated: a quarter of that (the least the estimate's
      // calibration to the provider's counts can scale it to) is still past the room left below.
      const long = await created(owner, { name: "Long", text: "ok ".repeat(1333).trim() });
      const chatId = `c_${uniqueSuffix()}`;
      expect((await chooseForChat(owner, chatId, "none")).status).toBe(200);
      // Leave the day's quota a little over the plan's longest reply: room for a short prompt,
      // not for one with a thousand tokens of instructions.
      const free = TIER_POLICIES.free;
      const held = await reserveTokens(app.services, { userId: owner.userId, tier: "free" }, free.tokensPerDay - free.maxOutputTokens - 150);
      expect(held.kind).toBe("reserved");

      const without = await send(owner, chatId, "Short question");
      expect(without.some((chunk) => chunk.type === "error")).toBe(false);

      expect((await chooseForChat(owner, chatId, long.id)).status).toBe(200);
      const callsBefore = modelCalls();
      const withInstructions = await send(owner, chatId, "Short question again");
      expect(withInstructions.find((chunk) => chunk.type === "error")?.errorText).toMatch(/used today's reply allowance/);
      expect(modelCalls()).toBe(callsBefore);
    });
  });
}
