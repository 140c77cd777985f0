/** Visitors who chat through the API as the page would, for tests that need many of them cheaply. */
import { randomBytes } from "node:crypto";
import type { APIRequestContext, APIResponse, Browser, BrowserContext } from "@playwright/test";
import { expect, newVisitorContext, test, visitorAddress } from "./fixtures";

export const newId = (prefix: string) => `${prefix}_${randomBytes(6).toString("hex")}`;

/** A visitor on their own network with a guest session. */
export interface ApiGuest {
  context: BrowserContext;
  request: APIRequestContext;
  userId: string;
  /** Sends a message in a new chat and resolves once its whole reply has streamed. */
  send(text: string): Promise<APIResponse>;
  /**
   * Sends a message in a new chat and resolves as soon as the server has accepted it (its reply
   * is queued or running), leaving the reply's stream to read.
   */
  startReply(text: string): Promise<Response>;
}

export async function apiGuest(browser: Browser): Promise<ApiGuest> {
  const address = visitorAddress();
  const context = await newVisitorContext(browser, address);
  const request = context.request;
  const started = await request.post("/api/auth/sign-in/anonymous", { data: {} });
  expect(started.ok()).toBe(true);
  const userId: string = (await started.json()).user.id;
  const baseUrl = test.info().project.use.baseURL!;
  const newMessage = (text: string) => ({ chatId: newId("c"), messageId: newId("m"), text });
  return {
    context,
    request,
    userId,
    send: (text) => request.post("/api/chat", { data: newMessage(text) }),
    // Playwright's request API reads a response whole; fetch resolves at its headers.
    startReply: async (text) => {
      const cookies = await context.cookies(baseUrl);
      return fetch(new URL("/api/chat", baseUrl), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-forwarded-for": address,
          cookie: cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join("; "),
        },
        body: JSON.stringify(newMessage(text)),
      });
    },
  };
}
