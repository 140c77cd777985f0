/**
 * Feedback on replies as the README documents it, through the real route handlers, on either
 * driver set (run by tests/feedback*.test.ts):
 *
 * - the chat's owner gives a thumbs up or down, with an optional comment, on a reply still only in
 *   the hot store, and changes it; it is kept with the reply's model and the owner's plan;
 * - another user's reply, a message that is not a reply, and one the chat does not have are 404;
 *   bad input is 400;
 * - a guest's feedback moves with its chats to the account it signs up for, and goes with a chat
 *   its owner deletes;
 * - admins see it by model and plan with the latest comments, and open the chat it came from
 *   through the audited chat view; nobody else sees the summary.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatUIMessage } from "@/lib/domain";
import type { FeedbackSummary } from "@/lib/admin/feedback";
import type { DriverSet } from "./app-services";
import { startRouteApp, type RouteApp } from "./route-app";
import { grantAdmin, sendMessage, signUp, startGuest, type RouteUser } from "./route-users";
import { uniqueSuffix } from "./scratch";
import { readChunks } from "./ui-stream";

export function feedbackSuite(drivers: DriverSet): void {
  let app: RouteApp;
  let owner: RouteUser;
  let stranger: RouteUser;
  let admin: RouteUser;
  const chatId = `c_${uniqueSuffix()}`;
  let question: ChatUIMessage;
  let reply: ChatUIMessage;

  beforeAll(async () => {
    // No flush during the file: the reply stays in the hot store only.
    app = await startRouteApp({ drivers, env: { FLUSH_INTERVAL: "3600" } });
    [owner, stranger] = await Promise.all([signUp(app), signUp(app)]);
    const adminAccount = await signUp(app);
    await grantAdmin(app, adminAccount.email);
    admin = adminAccount;
    const sent = await sendMessage(app, owner.client, { chatId, text: "Rate this reply" });
    expect((await readChunks(sent)).at(-1)?.type).toBe("finish");
    const read = await owner.client.call(app.routes.chatById.GET, { path: `/api/chats/${chatId}`, params: { id: chatId } });
    [question, reply] = ((await read.json()) as { messages: ChatUIMessage[] }).messages;
  }, 120_000);

  afterAll(async () => {
    await app?.dispose();
  });

  /** Feedback on a reply of `chatId` (by default, the chat every test rates). */
  function give(user: RouteUser, messageId: string, json: unknown, { method = "POST", chat = chatId }: { method?: "POST" | "PUT"; chat?: string } = {}) {
    return user.client.call(app.routes.replyFeedback[method], {
      method,
      path: `/api/chats/${chat}/messages/${messageId}/feedback`,
      params: { id: chat, messageId },
      json,
    });
  }

  /** The first reply of a chat, once its owner has a message answered there. */
  async function firstReplyOf(user: RouteUser, chat: string, text: string): Promise<ChatUIMessage> {
    await readChunks(await sendMessage(app, user.client, { chatId: chat, text }));
    const read = await user.client.call(app.routes.chatById.GET, { path: `/api/chats/${chat}`, params: { id: chat } });
    return ((await read.json()) as { messages: ChatUIMessage[] }).messages[1];
  }

  async function errorCode(response: Response): Promise<[number, string]> {
    return [response.status, ((await response.json()) as { error: { code: string } }).error.code];
  }

  async function summary(user: RouteUser): Promise<Response> {
    return user.client.call(app.routes.adminFeedback.GET, { path: "/api/admin/feedback" });
  }

  describe("the chat's owner", () => {
    it("rates a reply the flush has not written yet, and changes the rating", async () => {
      expect(await app.services.db.prisma.message.count({ where: { chatId } })).toBe(0);

      const up = await give(owner, reply.id, { rating: "up" });
      expect(up.status).toBe(200);
      expect(await up.json()).toMatchObject({ feedback: { messageId: reply.id, rating: "up", comment: null, model: "double-small" } });

      const down = await give(owner, reply.id, { rating: "down", comment: "  Too vague.  " }, { method: "PUT" });
      expect(down.status).toBe(200);
      const listed = await owner.client.call(app.routes.chatFeedback.GET, { path: `/api/chats/${chatId}/feedback`, params: { id: chatId } });
      expect(((await listed.json()) as { feedback: unknown[] }).feedback).toEqual([
        expect.objectContaining({ messageId: reply.id, rating: "down", comment: "Too vague.", model: "double-small" }),
      ]);
      const stored = await app.services.db.prisma.replyFeedback.findMany({ where: { chatId } });
      expect(stored.map(({ userId, rating, plan, model }) => ({ userId, rating, plan, model }))).toEqual([
        { userId: owner.userId, rating: "down", plan: "free", model: "double-small" },
      ]);
    });

    it("cannot rate their own message, one the chat lacks, or with bad input", async () => {
      expect(await errorCode(await give(owner, question.id, { rating: "up" }))).toEqual([404, "not_found"]);
      expect(await errorCode(await give(owner, "no-such-reply", { rating: "up" }))).toEqual([404, "not_found"]);
      expect(await errorCode(await give(owner, reply.id, { rating: "meh" }))).toEqual([400, "invalid_request"]);
      expect(await errorCode(await give(owner, reply.id, { rating: "up", comment: "x".repeat(1001) }))).toEqual([400, "invalid_request"]);
    });
  });

  it("another user's reply answers 404, and their feedback is not stored", async () => {
    expect(await errorCode(await give(stranger, reply.id, { rating: "up" }))).toEqual([404, "not_found"]);
    const listed = await stranger.client.call(app.routes.chatFeedback.GET, { path: `/api/chats/${chatId}/feedback`, params: { id: chatId } });
    expect(listed.status).toBe(404);
    expect(await app.services.db.prisma.replyFeedback.count({ where: { userId: stranger.userId } })).toBe(0);
  });

  it("given as a guest, moves with the guest's chats to the account it signs up for", async () => {
    const guest = await startGuest(app);
    const guestChat = `c_${uniqueSuffix()}`;
    const guestReply = await firstReplyOf(guest, guestChat, "A guest's question");
    const rated = await give(guest, guestReply.id, { rating: "up", comment: "Kept after signing up" }, { method: "PUT", chat: guestChat });
    expect(rated.status).toBe(200);

    const account = await signUp(app, { client: guest.client });
    const listed = await account.client.call(app.routes.chatFeedback.GET, { path: `/api/chats/${guestChat}/feedback`, params: { id: guestChat } });
    expect(((await listed.json()) as { feedback: unknown[] }).feedback).toEqual([
      expect.objectContaining({ messageId: guestReply.id, rating: "up", comment: "Kept after signing up" }),
    ]);
    const stored = await app.services.db.prisma.replyFeedback.findMany({ where: { chatId: guestChat } });
    expect(stored.map(({ userId, plan }) => ({ userId, plan }))).toEqual([{ userId: account.userId, plan: "guest" }]);
  });

  it("goes with its chat when the owner deletes the chat", async () => {
    const doomedChat = `c_${uniqueSuffix()}`;
    const doomedReply = await firstReplyOf(owner, doomedChat, "A question the owner will delete");
    const rated = await give(owner, doomedReply.id, { rating: "down", comment: "Said something I regret" }, { chat: doomedChat });
    expect(rated.status).toBe(200);

    const deleted = await owner.client.call(app.routes.chatById.DELETE, { method: "DELETE", path: `/api/chats/${doomedChat}`, params: { id: doomedChat } });
    expect(deleted.status).toBe(204);
    expect(await app.services.db.prisma.replyFeedback.count({ where: { chatId: doomedChat } })).toBe(0);
  });

  describe("admins", () => {
    it("see feedback by model and plan with the latest comments; others are refused", async () => {
      // A second reply, rated up, on the same model and plan.
      const other = `c_${uniqueSuffix()}`;
      const otherReply = await firstReplyOf(owner, other, "Another one");
      expect((await give(owner, otherReply.id, { rating: "up" }, { chat: other })).status).toBe(200);

      const response = await summary(admin);
      expect(response.status).toBe(200);
      const body = (await response.json()) as FeedbackSummary;
      expect(body.groups).toEqual([
        { model: "double-small", plan: "free", up: 1, down: 1, upRatio: 0.5 },
        { model: "double-small", plan: "guest", up: 1, down: 0, upRatio: 1 },
      ]);
      expect(body.latestComments).toEqual([
        expect.objectContaining({ rating: "up", comment: "Kept after signing up", plan: "guest" }),
        expect.objectContaining({ chatId, messageId: reply.id, rating: "down", comment: "Too vague.", plan: "free" }),
      ]);

      expect(await errorCode(await summary(owner))).toEqual([403, "forbidden"]);
    });

    it("open the chat a comment came from, and the view is audited", async () => {
      const opened = await admin.client.call(app.routes.adminChats.GET, { path: `/api/admin/chats?chatId=${chatId}` });
      expect(opened.status).toBe(200);
      const audited = await app.services.db.prisma.auditLog.findMany({ where: { action: "chat.view", targetId: chatId } });
      expect(audited.map(({ actorId }) => actorId)).toEqual([admin.userId]);
    });
  });
}
