/** The chat screen as a person uses it: type, send, watch the reply, act on messages. */
import { expect, type Locator, type Page } from "@playwright/test";

export class ChatPage {
  readonly input: Locator;
  readonly sendButton: Locator;
  readonly stopButton: Locator;
  readonly userMessages: Locator;
  readonly assistantMessages: Locator;
  readonly chatItems: Locator;
  readonly errorBanner: Locator;

  constructor(readonly page: Page) {
    this.input = page.getByTestId("composer-input");
    this.sendButton = page.getByTestId("send-button");
    this.stopButton = page.getByTestId("stop-button");
    this.userMessages = page.getByTestId("message-user");
    this.assistantMessages = page.getByTestId("message-assistant");
    this.chatItems = page.getByTestId("chat-item");
    this.errorBanner = page.getByTestId("error-banner");
  }

  async open(path = "/"): Promise<void> {
    await this.page.goto(path);
    await expect(this.input).toBeEditable();
    // On a first visit the chat shows before its guest session exists; the chat list loads
    // once it does, and from then on Enter sends.
    await expect(this.page.getByTestId("chat-list")).toHaveAttribute("aria-busy", "false");
  }

  async send(text: string): Promise<void> {
    await this.input.fill(text);
    await this.sendButton.click();
  }

  /** Sends a message and returns as soon as the first words of its reply are on screen. */
  async sendAndWaitForReplyStart(text: string): Promise<void> {
    await this.send(text);
    // Polled every 50 ms: expect's default back-off may look first a whole second after the start.
    await expect.poll(() => this.lastReply().innerText(), { intervals: [50] }).not.toBe("");
  }

  /** The text of the last reply, without its action buttons. */
  lastReply(): Locator {
    return this.assistantMessages.last().getByTestId("message-content");
  }

  lastUserMessage(): Locator {
    return this.userMessages.last().getByTestId("message-content");
  }

  /** Waits for the last reply to stop changing and returns its text. */
  async waitForReplyDone(): Promise<string> {
    await expect(this.stopButton).toBeHidden({ timeout: 30_000 });
    await expect(this.lastReply()).not.toBeEmpty();
    return (await this.lastReply().innerText()).trim();
  }

  /** Waits until the chat's last message, as the API answers it, has this status (e.g. "stopped"). */
  async waitForLastMessageStatus(status: string): Promise<void> {
    await expect
      .poll(async () => {
        const { messages } = await (await this.page.request.get(`/api/chats/${this.chatId()}`)).json();
        return messages.at(-1)?.metadata?.status;
      })
      .toBe(status);
  }

  /** The chat id from the URL (/chat/{id}). */
  chatId(): string {
    const match = new URL(this.page.url()).pathname.match(/^\/chat\/([A-Za-z0-9_-]+)$/);
    if (!match) throw new Error(`not on a chat page: ${this.page.url()}`);
    return match[1];
  }
}
