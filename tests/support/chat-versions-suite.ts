/**
 * Versions of a turn as the README's History section documents them, through the real route
 * handlers, on either driver set (run by tests/chat-versions*.test.ts):
 *
 * - a regenerated reply and an edited message are kept beside the version before them; the chat
 *   shows the newest, with its position among the versions;
 * - while a regenerated reply is being written, the chat shows its question without the older
 *   version (a page resumes the reply below it);
 * - `POST /api/chats/{id}/versions` shows another one, and the choice holds in the hot copy, in
 *   Postgres after the flush, and once the hot copy is gone;
 * - the model is sent only the branch that leads to the message it answers, which the provider
 *   double's record of prompts shows;
 * - the account export holds every version, and its Markdown the versions shown;
 * - another user's chat, or a message the chat does not have, is 404; a malformed id 400.
 */
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatUIMessage } from "@/lib/domain";
import type { DriverSet } from "./app-services";
import { startRouteApp, type RouteApp } from "./route-app";
import { grantAdmin, signUp, type RouteUser } from "./route-users";
import { uniqueSuffix } from "./scratch";
import { readChunks } from "./ui-stream";

interface Prompt {
  role: string;
  content: string;
}

export function chatVersionsSuite(drivers: DriverSet): void {
  let app: RouteApp;
  let owner: RouteUser;
  let stranger: RouteUser;
  /** What the model was sent for each reply, in order. */
  const prompts: Prompt[][] = [];

  /** Ends a chat request's stream and checks it finished. */
  async function finished(response: Response): Promise<void> {
    expect(response.status).toBe(200);
    expect((await readChunks(response)).at(-1)?.type).toBe("finish");
  }

  async function say(chatId: string, text: string, editOf?: string): Promise<string> {
    const messageId = `m_${uniqueSuffix()}`;
    const json = { chatId, messageId, text, ...(editOf && { editOf }) };
    await finished(await owner.client.call(app.routes.chat.POST, { method: "POST", path: "/api/chat", json }));
    return messageId;
  }

  async function regenerate(chatId: string): Promise<void> {
    await finished(await owner.client.call(app.routes.chat.POST, { method: "POST", path: "/api/chat", json: { chatId, regenerate: true } }));
  }

  async function shown(chatId: string): Promise<ChatUIMessage[]> {
    const response = await owner.client.call(app.routes.chatById.GET, { path: `/api/chats/${chatId}`, params: { id: chatId } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { messages: ChatUIMessage[] }).messages;
  }

  function showVersion(user: RouteUser, chatId: string, json: unknown) {
    return user.client.call(app.routes.chatVersions.POST, { method: "POST", path: `/api/chats/${chatId}/versions`, params: { id: chatId }, json });
  }

  /** The chat as a person reads it: each turn's text, and "i/n" where it has versions. */
  function transcript(messages: ChatUIMessage[]): string[] {
    return messages.map((message) => {
      const text = message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
      const versions = message.metadata?.versions;
      return versions ? `${text} [${versions.index + 1}/${versions.ids.length}]` : text;
    });
  }

  beforeAll(async () => {
    app = await startRouteApp({
      drivers,
      env: { FLUSH_INTERVAL: "3600" },
      provider: {
        // Each reply says which it is and what it answers, so versions of a reply differ.
        reply: ({ messages }) => {
          prompts.push(messages);
          return `Reply ${prompts.length} to ${messages.at(-1)?.content}`;
        },
      },
    });
    owner = await signUp(app);
    stranger = await signUp(app);
    // The admin plan's burst lets one user write every turn at once.
    const ownerEmail = (await app.services.db.prisma.user.findUniqueOrThrow({ where: { id: owner.userId } })).email;
    await grantAdmin(app, ownerEmail);
  }, 120_000);

  afterAll(async () => {
    await app?.dispose();
  });

  describe("a regenerated reply", () => {
    const chatId = `c_${uniqueSuffix()}`;
    let replies: string[];

    beforeAll(async () => {
      await say(chatId, `First question ${chatId}`);
      await say(chatId, "Second question");
      await regenerate(chatId);
      replies = (await shown(chatId)).filter((message) => message.role === "assistant").map((message) => message.id);
    });

    it("is kept beside the earlier one, and the chat shows the new one as 2/2", async () => {
      expect(transcript(await shown(chatId))).toEqual([
        `First question ${chatId}`,
        `Reply ${prompts.length - 2} to First question ${chatId}`,
        "Second question",
        `Reply ${prompts.length} to Second question [2/2]`,
      ]);
    });

    it("was written without the earlier reply in its history", () => {
      const lastPrompt = prompts.at(-1)!;
      expect(lastPrompt.map((message) => message.role)).toEqual(["user", "assistant", "user"]);
      expect(lastPrompt.map((message) => message.content).join(" ")).not.toContain("to Second question");
    });

    it("goes back to 1/2 and forth to 2/2, and the choice outlives the flush and the hot copy", async () => {
      const earlier = (await shown(chatId)).at(-1)!.metadata!.versions!.ids[0];
      const back = await showVersion(owner, chatId, { messageId: earlier });
      expect(back.status).toBe(200);
      const answered = ((await back.json()) as { messages: ChatUIMessage[] }).messages;
      expect(transcript(answered).at(-1)).toBe(`Reply ${prompts.length - 1} to Second question [1/2]`);
      expect(await shown(chatId)).toEqual(answered);

      await app.services.jobs.requestFlush();
      expect((await app.services.db.prisma.chat.findUniqueOrThrow({ where: { id: chatId } })).selectedMessageId).toBe(earlier);
      await app.services.hot.deleteChat(chatId, owner.userId);
      expect(await shown(chatId)).toEqual(answered);

      const forth = await showVersion(owner, chatId, { messageId: replies.at(-1) });
      expect(forth.status).toBe(200);
      expect(transcript(await shown(chatId)).at(-1)).toBe(`Reply ${prompts.length} to Second question [2/2]`);
    });
  });

  it("shows a chat read while its regenerated reply is being written without the older version, then with 2/2", async () => {
    const chatId = `c_${uniqueSuffix()}`;
    await say(chatId, `Slow one ${chatId}`);
    app.provider.setOptions({ latencyMs: 3_000 });
    try {
      const answering = await owner.client.call(app.routes.chat.POST, { method: "POST", path: "/api/chat", json: { chatId, regenerate: true } });
      // A page loaded now resumes the reply: the older one must not show above it.
      expect(transcript(await shown(chatId))).toEqual([`Slow one ${chatId}`]);
      await finished(answering);
    } finally {
      app.provider.setOptions({ latencyMs: 0 });
    }
    expect(transcript(await shown(chatId)).at(-1)).toBe(`Reply ${prompts.length} to Slow one ${chatId} [2/2]`);
  });

  describe("an edited message", () => {
    const chatId = `c_${uniqueSuffix()}`;
    let original: string;
    let edited: string;

    beforeAll(async () => {
      await say(chatId, `Opening ${chatId}`);
      original = await say(chatId, "Tell me about owls");
      edited = await say(chatId, "Tell me about otters", original);
    });

    it("is a new version beside the message it replaces, which keeps its reply", async () => {
      const messages = await shown(chatId);
      expect(transcript(messages).slice(2)).toEqual(["Tell me about otters [2/2]", `Reply ${prompts.length} to Tell me about otters`]);
      expect(messages[2].metadata?.versions).toEqual({ index: 1, ids: [original, edited] });
      expect(prompts.at(-1)!.map((message) => message.content).join(" ")).not.toContain("owls");
    });

    it("can be switched back to 1/2, and the next message follows the version shown", async () => {
      expect((await showVersion(owner, chatId, { messageId: original })).status).toBe(200);
      await say(chatId, "And their nests?");

      const lastPrompt = prompts.at(-1)!.map((message) => message.content);
      expect(lastPrompt.join(" ")).toContain("owls");
      expect(lastPrompt.join(" ")).not.toContain("otters");
      expect(transcript(await shown(chatId)).slice(2)).toEqual([
        "Tell me about owls [1/2]",
        `Reply ${prompts.length - 2} to Tell me about owls`,
        "And their nests?",
        `Reply ${prompts.length} to And their nests?`,
      ]);
    });

    it("shows the newest turns of a version switched back to", async () => {
      expect((await showVersion(owner, chatId, { messageId: edited })).status).toBe(200);
      expect(transcript(await shown(chatId)).slice(2)).toEqual(["Tell me about otters [2/2]", `Reply ${prompts.length - 1} to Tell me about otters`]);
    });
  });

  describe("the account export", () => {
    it("holds every version in chats.json, each naming the message it follows, and the shown ones in Markdown", async () => {
      const chatId = `c_${uniqueSuffix()}`;
      const question = await say(chatId, `Export me ${chatId}`);
      await regenerate(chatId);
      const [first, second] = (await shown(chatId)).at(-1)!.metadata!.versions!.ids;
      expect((await showVersion(owner, chatId, { messageId: first })).status).toBe(200);

      const response = await owner.client.call(app.routes.accountExport.GET, { path: "/api/account/export" });
      expect(response.status).toBe(200);
      const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
      const json = JSON.parse(strFromU8(files[Object.keys(files).find((name) => name.endsWith("/chats.json"))!])) as {
        chats: { id: string; selectedMessageId?: string; messages: { id: string; parentId: string | null; text: string }[] }[];
      };
      const exported = json.chats.find((chat) => chat.id === chatId)!;
      expect(exported.selectedMessageId).toBe(first);
      expect(exported.messages.map(({ id, parentId }) => ({ id, parentId }))).toEqual([
        { id: question, parentId: null },
        { id: first, parentId: question },
        { id: second, parentId: question },
      ]);
      const markdown = strFromU8(files[Object.keys(files).find((name) => name.endsWith(`${chatId}.md`))!]);
      const [firstText, secondText] = [first, second].map((id) => exported.messages.find((message) => message.id === id)!.text);
      expect(markdown).toContain(firstText);
      expect(markdown).not.toContain(secondText);
    });
  });

  describe("refusals", () => {
    it("answers 404 for another user's chat and for a message the chat does not have, 400 for a malformed id", async () => {
      const chatId = `c_${uniqueSuffix()}`;
      const messageId = await say(chatId, `Mine ${chatId}`);

      const foreign = await showVersion(stranger, chatId, { messageId });
      expect(foreign.status).toBe(404);
      expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe("not_found");
      expect((await showVersion(owner, chatId, { messageId: "not-in-this-chat" })).status).toBe(404);
      const malformed = await showVersion(owner, chatId, { messageId: "../x" });
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
      expect(transcript(await shown(chatId))[0]).toBe(`Mine ${chatId}`);
    });
  });
}
