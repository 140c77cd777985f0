/**
 * Attachments as the README documents them, through the real route handlers, on either driver set
 * (run by tests/attachments*.test.ts), with the provider double as a vision model:
 *
 * - an image and a PDF are uploaded, typed by their content (not their names), and reach the
 *   model as an image part and a file part, byte for byte (the double records what it was sent);
 * - the chat's history, in the hot store and in Postgres after the flush, holds references only;
 * - only their owner can read them back; another user's attachment is 404, also in a message;
 * - plan limits (kinds, size, count) and a model that cannot read them are typed 4xx errors,
 *   refused before anything is queued;
 * - they count in what a reply holds against the daily token quota, never hit the reply cache,
 *   and go when their chat or their account is deleted.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flushHistory } from "@/lib/history/flush-history";
import { reserveTokens } from "@/lib/limits/token-budget";
import { ATTACHMENT_POLICIES, TIER_POLICIES } from "@/lib/limits/policies";
import type { RecordedFile } from "@/lib/testing/provider-double";
import type { AttachmentRef } from "@/lib/domain";
import type { DriverSet } from "./app-services";
import { NOT_AN_IMAGE, PDF_BYTES, PNG_BYTES } from "./attachment-files";
import { startRouteApp, type RouteApp } from "./route-app";
import { startS3Server, type S3Server } from "./s3-server";
import { signUp, startGuest, type RouteUser } from "./route-users";
import { uniqueSuffix } from "./scratch";
import { readChunks, textOfChunks, type StreamChunk } from "./ui-stream";

interface Prompt {
  role: string;
  content: string;
  files?: RecordedFile[];
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** `storage`: "s3" keeps the files in an S3-compatible server started for the run, else under DATA_DIR. */
export function attachmentsSuite(drivers: DriverSet, { storage = "local" }: { storage?: "local" | "s3" } = {}): void {
  let app: RouteApp;
  let s3: S3Server | undefined;

  beforeAll(async () => {
    s3 = storage === "s3" ? await startS3Server() : undefined;
    app = await startRouteApp({
      drivers,
      env: {
        ...s3?.env,
        FLUSH_INTERVAL: "3600",
        CHAT_MODELS: "double-vision,double-text",
        LLM_ATTACHMENTS_BY_MODEL: "double-vision=image+pdf,double-text=none",
      },
    });
  }, 120_000);

  afterAll(async () => {
    await app?.dispose();
    await s3?.close();
  });

  it(`keeps the files in the ${storage} store`, () => {
    expect(app.services.config.storage.driver).toBe(storage);
  });

  function upload(user: RouteUser, bytes: Uint8Array, name: string) {
    return user.client.call(app.routes.attachments.POST, {
      method: "POST",
      path: `/api/attachments?name=${encodeURIComponent(name)}`,
      bytes,
      // What the client claims is not believed: the content decides.
      headers: { "content-type": "application/octet-stream" },
    });
  }

  async function uploaded(user: RouteUser, bytes: Uint8Array, name: string): Promise<AttachmentRef> {
    const response = await upload(user, bytes, name);
    expect(response.status).toBe(201);
    return ((await response.json()) as { attachment: AttachmentRef }).attachment;
  }

  function download(user: RouteUser, id: string) {
    return user.client.call(app.routes.attachmentById.GET, { path: `/api/attachments/${id}`, params: { id } });
  }

  function send(user: RouteUser, json: { chatId: string; text: string; attachments?: string[]; model?: string }) {
    return user.client.call(app.routes.chat.POST, { method: "POST", path: "/api/chat", json: { messageId: `m_${uniqueSuffix()}`, ...json } });
  }

  async function sent(user: RouteUser, json: Parameters<typeof send>[1]): Promise<StreamChunk[]> {
    const response = await send(user, json);
    expect(response.status).toBe(200);
    return readChunks(response);
  }

  async function errorCode(response: Response): Promise<[number, string]> {
    return [response.status, ((await response.json()) as { error: { code: string } }).error.code];
  }

  async function lastPrompt(): Promise<Prompt[]> {
    const response = await fetch(new URL("/prompts", app.provider.url));
    return ((await response.json()) as { prompts: Prompt[][] }).prompts.at(-1) ?? [];
  }

  async function historyParts(user: RouteUser, chatId: string): Promise<unknown[][]> {
    const response = await user.client.call(app.routes.chatById.GET, { path: `/api/chats/${chatId}`, params: { id: chatId } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { messages: { role: string; parts: unknown[] }[] }).messages
      .filter((message) => message.role === "user")
      .map((message) => message.parts);
  }

  const modelCalls = () => app.provider.stats().requests;

  describe("an image and a PDF sent to a vision model", () => {
    let owner: RouteUser;
    let image: AttachmentRef;
    let pdf: AttachmentRef;
    const chatId = `c_${uniqueSuffix()}`;

    beforeAll(async () => {
      owner = await signUp(app);
      // Named as something else each: the type comes from the bytes.
      image = await uploaded(owner, PNG_BYTES, "holiday.txt");
      pdf = await uploaded(owner, PDF_BYTES, "report.png");
    });

    it("are typed by their content and counted in tokens", () => {
      expect(image).toMatchObject({ name: "holiday.txt", mediaType: "image/png", size: PNG_BYTES.byteLength, tokens: 1_600 });
      expect(pdf).toMatchObject({ name: "report.png", mediaType: "application/pdf", size: PDF_BYTES.byteLength, tokens: 6_000 });
      expect(image.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    });

    it("reach the model as an image and a file, byte for byte, with the message's text", async () => {
      const chunks = await sent(owner, { chatId, text: "What is in these?", attachments: [image.id, pdf.id], model: "double-vision" });
      expect(textOfChunks(chunks)).toMatch(/^Echo: \[image\/png\] \[application\/pdf\] What is in these\?/);
      const question = (await lastPrompt()).findLast((message) => message.role === "user");
      expect(question?.content).toBe("What is in these?");
      expect(question?.files).toEqual([
        { type: "image", mediaType: "image/png", size: PNG_BYTES.byteLength, sha256: sha256(PNG_BYTES) },
        { type: "file", mediaType: "application/pdf", filename: "report.png", size: PDF_BYTES.byteLength, sha256: sha256(PDF_BYTES) },
      ]);
    });

    it("are kept in the history as references, not bytes, before and after the flush", async () => {
      const expected = [
        { type: "text", text: "What is in these?" },
        { type: "data-attachment", data: image },
        { type: "data-attachment", data: pdf },
      ];
      const hotMessages = await app.services.hot.listMessages(chatId);
      expect(hotMessages.find((message) => message.role === "user")?.parts).toEqual(expected);
      expect(await historyParts(owner, chatId)).toEqual([expected]);
      await flushHistory(app.services);
      const durable = await app.services.db.prisma.message.findMany({ where: { chatId, role: "user" } });
      expect(durable.map((message) => message.parts)).toEqual([expected]);
    });

    it("go with the rest of the history to the model on the next turn", async () => {
      await sent(owner, { chatId, text: "And the second page?", model: "double-vision" });
      const prompt = await lastPrompt();
      expect(prompt.filter((message) => message.role === "user").map((message) => message.files?.length ?? 0)).toEqual([2, 0]);
    });

    it("are left out of earlier turns for a model that cannot read them, so the chat goes on with it", async () => {
      const chunks = await sent(owner, { chatId, text: "Now in words only", model: "double-text" });
      expect(textOfChunks(chunks)).toMatch(/^Echo: Now in words only/);
      const prompt = await lastPrompt();
      expect(prompt.filter((message) => message.role === "user").map((message) => [message.content, message.files?.length ?? 0])).toEqual([
        ["What is in these?", 0],
        ["And the second page?", 0],
        ["Now in words only", 0],
      ]);
    });

    it("are served to their owner with their type and safe headers, and to nobody else", async () => {
      const stranger = await signUp(app);
      const guest = await startGuest(app);
      const png = await download(owner, image.id);
      expect(png.status).toBe(200);
      expect(png.headers.get("content-type")).toBe("image/png");
      expect(png.headers.get("x-content-type-options")).toBe("nosniff");
      expect(Buffer.from(await png.arrayBuffer()).equals(Buffer.from(PNG_BYTES))).toBe(true);
      const document = await download(owner, pdf.id);
      expect(document.headers.get("content-type")).toBe("application/pdf");
      expect(document.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''report.png");
      expect(sha256(new Uint8Array(await document.arrayBuffer()))).toBe(sha256(PDF_BYTES));

      expect(await errorCode(await download(stranger, image.id))).toEqual([404, "not_found"]);
      expect(await errorCode(await download(guest, pdf.id))).toEqual([404, "not_found"]);
      expect(await errorCode(await download(owner, "not-an-id"))).toEqual([404, "not_found"]);
      // Nor can another user send it: the id is no key to someone else's file.
      const calls = modelCalls();
      expect(await errorCode(await send(stranger, { chatId: `c_${uniqueSuffix()}`, text: "Mine?", attachments: [image.id] }))).toEqual([404, "not_found"]);
      expect(modelCalls()).toBe(calls);
    });
  });

  describe("refusals", () => {
    it("types by content: text named .png is not an image, whatever its Content-Type", async () => {
      const user = await signUp(app);
      expect(await errorCode(await upload(user, NOT_AN_IMAGE, "photo.png"))).toEqual([415, "attachment_type_not_allowed"]);
      expect(await errorCode(await upload(user, new Uint8Array(), "empty.png"))).toEqual([400, "invalid_request"]);
    });

    it("holds each plan to its kinds, size and count", async () => {
      const guest = await startGuest(app);
      expect(await errorCode(await upload(guest, PDF_BYTES, "doc.pdf"))).toEqual([415, "attachment_type_not_allowed"]);
      const tooLarge = new Uint8Array(2 * 1024 * 1024 + 1);
      tooLarge.set(PNG_BYTES);
      expect(await errorCode(await upload(guest, tooLarge, "big.png"))).toEqual([413, "attachment_too_large"]);
      const first = await uploaded(guest, PNG_BYTES, "one.png");
      const second = await uploaded(guest, PNG_BYTES, "two.png");
      const calls = modelCalls();
      expect(await errorCode(await send(guest, { chatId: `c_${uniqueSuffix()}`, text: "Two", attachments: [first.id, second.id] }))).toEqual([
        400,
        "too_many_attachments",
      ]);
      expect(modelCalls()).toBe(calls);
      // The same size is fine for an account.
      const account = await signUp(app);
      expect((await upload(account, tooLarge, "big.png")).status).toBe(201);
    });

    it("holds each plan to its files a day, counting only files it takes", async () => {
      const guest = await startGuest(app);
      const { uploadsPerDay } = ATTACHMENT_POLICIES.guest;
      expect(await errorCode(await upload(guest, NOT_AN_IMAGE, "free.png"))).toEqual([415, "attachment_type_not_allowed"]);
      for (let count = 0; count < uploadsPerDay; count += 1) await uploaded(guest, PNG_BYTES, `n${count}.png`);
      const refused = await upload(guest, PNG_BYTES, "one-more.png");
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: "quota_exceeded",
        message: expect.stringContaining(`${uploadsPerDay} files a day`),
      });
    });

    it("refuses a model that cannot read the attachment before queueing, and on a regeneration", async () => {
      const user = await signUp(app);
      const image = await uploaded(user, PNG_BYTES, "cat.png");
      const chatId = `c_${uniqueSuffix()}`;
      const calls = modelCalls();
      const refused = await send(user, { chatId, text: "Describe", attachments: [image.id], model: "double-text" });
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(refused.status).toBe(400);
      expect(body.error).toMatchObject({ code: "model_cannot_read_attachment", message: expect.stringContaining("double-text cannot read images") });
      expect(modelCalls()).toBe(calls);

      await sent(user, { chatId, text: "Describe", attachments: [image.id], model: "double-vision" });
      const regenerate = await user.client.call(app.routes.chat.POST, { method: "POST", path: "/api/chat", json: { chatId, regenerate: true, model: "double-text" } });
      expect(await errorCode(regenerate)).toEqual([400, "model_cannot_read_attachment"]);
      // An attachment sent in one chat is not another chat's to send.
      expect(await errorCode(await send(user, { chatId: `c_${uniqueSuffix()}`, text: "Again", attachments: [image.id] }))).toEqual([404, "not_found"]);
    });
  });

  it("sends a message of files alone, but not one of nothing", async () => {
    const user = await signUp(app);
    const image = await uploaded(user, PNG_BYTES, "alone.png");
    const chatId = `c_${uniqueSuffix()}`;
    const chunks = await sent(user, { chatId, text: "", attachments: [image.id], model: "double-vision" });
    expect(textOfChunks(chunks)).toMatch(/^Echo: \[image\/png\]/);
    expect(await historyParts(user, chatId)).toEqual([[{ type: "data-attachment", data: image }]]);
    expect(await errorCode(await send(user, { chatId, text: "  " }))).toEqual([400, "empty_message"]);
  });

  it("never answers a message with files from the reply cache, nor fills it", async () => {
    const user = await signUp(app);
    const text = `Same opener ${uniqueSuffix()}`;
    const calls = modelCalls();
    for (let turn = 0; turn < 2; turn += 1) {
      const image = await uploaded(user, PNG_BYTES, "same.png");
      await sent(user, { chatId: `c_${uniqueSuffix()}`, text, attachments: [image.id], model: "double-vision" });
    }
    // And a plain message with the same text afterwards is no cache hit either: nothing was stored.
    await sent(user, { chatId: `c_${uniqueSuffix()}`, text, model: "double-vision" });
    expect(modelCalls()).toBe(calls + 3);
  });

  it("counts attachments in what a reply holds against the daily token quota", async () => {
    const owner = await signUp(app);
    const chatId = `c_${uniqueSuffix()}`;
    // Room for a short prompt and the longest reply, not for an image's 1,600 estimated tokens
    // (a quarter of that, the least the calibration can scale it to, is still past the room).
    const free = TIER_POLICIES.free;
    const held = await reserveTokens(app.services, { userId: owner.userId, tier: "free" }, free.tokensPerDay - free.maxOutputTokens - 150);
    expect(held.kind).toBe("reserved");
    const without = await sent(owner, { chatId, text: "Short question", model: "double-vision" });
    expect(without.some((chunk) => chunk.type === "error")).toBe(false);

    const image = await uploaded(owner, PNG_BYTES, "heavy.png");
    const calls = modelCalls();
    const withImage = await sent(owner, { chatId, text: "Short question again", attachments: [image.id], model: "double-vision" });
    expect(withImage.find((chunk) => chunk.type === "error")?.errorText).toMatch(/used today's reply allowance/);
    expect(modelCalls()).toBe(calls);
  });

  describe("deletion", () => {
    it("removes a chat's attachments with the chat", async () => {
      const user = await signUp(app);
      const chatId = `c_${uniqueSuffix()}`;
      const image = await uploaded(user, PNG_BYTES, "gone.png");
      const unsent = await uploaded(user, PNG_BYTES, "kept.png");
      await sent(user, { chatId, text: "Look", attachments: [image.id], model: "double-vision" });
      const deleted = await user.client.call(app.routes.chatById.DELETE, { method: "DELETE", path: `/api/chats/${chatId}`, params: { id: chatId } });
      expect(deleted.status).toBe(204);
      expect(await errorCode(await download(user, image.id))).toEqual([404, "not_found"]);
      expect(await app.services.storage.get(image.id)).toBeNull();
      expect((await download(user, unsent.id)).status).toBe(200);
    });

    it("removes an account's attachments with the account", async () => {
      const user = await signUp(app);
      const image = await uploaded(user, PNG_BYTES, "mine.png");
      const response = await user.client.call(app.routes.account.DELETE, { method: "DELETE", path: "/api/account", json: { confirm: user.email } });
      expect(response.status).toBe(204);
      expect(await app.services.db.prisma.attachment.findUnique({ where: { id: image.id } })).toBeNull();
      expect(await app.services.storage.get(image.id)).toBeNull();
    });

    it("moves a guest's attachments to the account it signs up for", async () => {
      const guest = await startGuest(app);
      const image = await uploaded(guest, PNG_BYTES, "kept.png");
      const account = await signUp(app, { client: guest.client });
      const response = await download(account, image.id);
      expect(response.status).toBe(200);
    });
  });
}
