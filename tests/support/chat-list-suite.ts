/**
 * The chat list's search and rename as the README's History section documents them, through the
 * real route handlers, on either driver set (run by tests/chat-list*.test.ts), with one user's
 * chats spread over both stores as production spreads them: flushed to Postgres with the hot copy
 * gone, flushed and still hot, and in the hot store only.
 *
 * - `GET /api/chats?q=` finds a word in message text wherever the message lives, with a snippet,
 *   and never another user's chat.
 * - `PATCH /api/chats/{id}` renames in whichever stores hold the chat; the new title is what
 *   Postgres holds after the flush and what the list shows once the hot copy is gone; another
 *   user's chat is 404, a bad title 400.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverSet } from "./app-services";
import { startRouteApp, type RouteApp } from "./route-app";
import { grantAdmin, sendMessage, signUp, type RouteUser } from "./route-users";
import { uniqueSuffix } from "./scratch";
import { readChunks } from "./ui-stream";

interface ListedChat {
  id: string;
  title: string;
  updatedAt: number;
  snippet?: string;
}

/** A word no reply of the provider double and no title contains. */
const WORD = "zebracorn";

export function chatListSuite(drivers: DriverSet): void {
  let app: RouteApp;
  let owner: RouteUser;
  let stranger: RouteUser;
  /** Chats by where their matching message lives. */
  const chats = { durableOnly: "", both: "", hotOnly: "", titled: "", unrelated: "" };

  async function say(user: RouteUser, chatId: string, text: string): Promise<void> {
    const response = await sendMessage(app, user.client, { chatId, text });
    expect(response.status).toBe(200);
    expect((await readChunks(response)).at(-1)?.type).toBe("finish");
  }

  async function newChat(user: RouteUser, ...texts: string[]): Promise<string> {
    const chatId = `c_${uniqueSuffix()}`;
    for (const text of texts) await say(user, chatId, text);
    return chatId;
  }

  async function list(user: RouteUser, query: Record<string, string>): Promise<{ chats: ListedChat[]; nextBefore?: number }> {
    const response = await user.client.call(app.routes.chats.GET, { path: `/api/chats?${new URLSearchParams(query)}` });
    expect(response.status).toBe(200);
    return response.json();
  }

  function rename(user: RouteUser, chatId: string, json: unknown) {
    return user.client.call(app.routes.chatById.PATCH, { method: "PATCH", path: `/api/chats/${chatId}`, params: { id: chatId }, json });
  }

  async function durableTitle(chatId: string): Promise<string | undefined> {
    return (await app.services.db.prisma.chat.findUnique({ where: { id: chatId } }))?.title;
  }

  beforeAll(async () => {
    app = await startRouteApp({ drivers, env: { FLUSH_INTERVAL: "3600" }, provider: { tokensPerReply: 4 } });
    owner = await signUp(app);
    stranger = await signUp(app);
    // The admin plan's burst lets one user write the whole fixture at once.
    const ownerEmail = (await app.services.db.prisma.user.findUniqueOrThrow({ where: { id: owner.userId } })).email;
    await grantAdmin(app, ownerEmail);

    const { hot, jobs } = app.services;
    chats.durableOnly = await newChat(owner, "Holiday plans", `Is the ${WORD} sanctuary open in May?`);
    chats.both = await newChat(owner, "Recipe ideas", `A ${WORD.toUpperCase()}-shaped cake for a birthday`);
    await jobs.requestFlush();
    await hot.deleteChat(chats.durableOnly, owner.userId);
    chats.hotOnly = await newChat(owner, "Garden notes", `Does ${WORD} dung make good compost?`);
    chats.titled = await newChat(owner, `${WORD} facts`);
    chats.unrelated = await newChat(owner, "Something else entirely");
    await newChat(stranger, `My own ${WORD} story`);

    expect(await durableTitle(chats.durableOnly)).toBe("Holiday plans");
    expect(await durableTitle(chats.hotOnly)).toBeUndefined();
    expect(await hot.getChat(chats.durableOnly)).toBeNull();
    expect(await hot.getChat(chats.both)).not.toBeNull();
  }, 120_000);

  afterAll(async () => {
    await app?.dispose();
  });

  describe("search over message text", () => {
    it("finds the word in titles and in message text in either store, newest first, with snippets", async () => {
      const { chats: found } = await list(owner, { q: WORD });
      expect(found.map((chat) => chat.id)).toEqual([chats.titled, chats.hotOnly, chats.both, chats.durableOnly]);
      const snippets = Object.fromEntries(found.map((chat) => [chat.id, chat.snippet]));
      expect(snippets[chats.titled]).toBeUndefined();
      // The newest matching message gives the snippet: here the double's reply, which echoes the question.
      for (const chatId of [chats.hotOnly, chats.both, chats.durableOnly]) expect(snippets[chatId]?.toLowerCase()).toContain(WORD);
      expect(snippets[chats.hotOnly]).toMatch(/Does zebracorn dung/);
      expect(snippets[chats.durableOnly]).toMatch(/Is the zebracorn/);
    });

    it("ignores case and pages the matches like the list", async () => {
      const pages: ListedChat[] = [];
      let before: string | undefined;
      do {
        const page = await list(owner, { q: "ZebraCorn", limit: "1", ...(before && { before }) });
        pages.push(...page.chats);
        before = page.nextBefore?.toString();
      } while (before && pages.length < 10);
      expect(pages.map((chat) => chat.id)).toEqual([chats.titled, chats.hotOnly, chats.both, chats.durableOnly]);
    });

    it("shows only the viewer's own chats", async () => {
      const { chats: found } = await list(stranger, { q: WORD });
      expect(found.map((chat) => chat.title)).toEqual([`My own ${WORD} story`]);
    });

    it("matches LIKE wildcards literally", async () => {
      expect((await list(owner, { q: "zebra%n" })).chats).toEqual([]);
    });
  });

  describe("rename", () => {
    it("renames a chat the hot store alone holds, and the flush takes the new title to Postgres", async () => {
      const before = (await list(owner, {})).chats;
      const response = await rename(owner, chats.hotOnly, { title: "  Compost questions  " });
      expect(response.status).toBe(200);
      expect((await response.json()).chat).toMatchObject({ id: chats.hotOnly, title: "Compost questions" });

      const after = (await list(owner, {})).chats;
      // The title changes; the order does not.
      expect(after.map((chat) => chat.id)).toEqual(before.map((chat) => chat.id));
      expect(after.find((chat) => chat.id === chats.hotOnly)?.title).toBe("Compost questions");

      await app.services.jobs.requestFlush();
      expect(await durableTitle(chats.hotOnly)).toBe("Compost questions");
      await app.services.hot.deleteChat(chats.hotOnly, owner.userId);
      expect((await list(owner, {})).chats.find((chat) => chat.id === chats.hotOnly)?.title).toBe("Compost questions");
    });

    it("renames a flushed chat that is still hot, and the next flush keeps the new title", async () => {
      expect((await rename(owner, chats.both, { title: "Birthday cake" })).status).toBe(200);
      await app.services.jobs.requestFlush();
      expect(await durableTitle(chats.both)).toBe("Birthday cake");
      expect((await list(owner, { q: "birthday" })).chats.map((chat) => chat.title)).toContain("Birthday cake");
    });

    it("renames a chat only Postgres holds", async () => {
      expect((await rename(owner, chats.durableOnly, { title: "May trip" })).status).toBe(200);
      expect(await durableTitle(chats.durableOnly)).toBe("May trip");
      expect((await list(owner, {})).chats.find((chat) => chat.id === chats.durableOnly)?.title).toBe("May trip");
    });

    it("answers 404 for another user's chat and leaves it as it was", async () => {
      const response = await rename(stranger, chats.unrelated, { title: "Mine now" });
      expect(response.status).toBe(404);
      expect((await list(owner, {})).chats.find((chat) => chat.id === chats.unrelated)?.title).toBe("Something else entirely");
      expect((await rename(owner, `c_${uniqueSuffix()}`, { title: "Nothing here" })).status).toBe(404);
    });

    for (const [name, body] of [
      ["an empty title", { title: "   " }],
      ["a title over 200 characters", { title: "x".repeat(201) }],
      ["a title that is not text", { title: 42 }],
      ["an unknown field", { title: "Fine", pinned: true }],
    ] as const) {
      it(`refuses ${name} with 400 invalid_request`, async () => {
        const response = await rename(owner, chats.unrelated, body);
        expect(response.status).toBe(400);
        expect((await response.json()).error.code).toBe("invalid_request");
      });
    }
  });
}
