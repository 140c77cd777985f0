import { expect, newVisitorContext, test } from "./support/fixtures";
import { ChatPage } from "./pages/chat-page";

test("another user cannot open a chat by URL or through the API", async ({ browser }) => {
  const ownerContext = await newVisitorContext(browser);
  const owner = new ChatPage(await ownerContext.newPage());
  await owner.open();
  await owner.send("My private plans");
  await owner.waitForReplyDone();
  const chatId = owner.chatId();

  const strangerContext = await newVisitorContext(browser);
  const strangerPage = await strangerContext.newPage();
  const stranger = new ChatPage(strangerPage);
  await stranger.open();

  const response = await strangerPage.goto(`/chat/${chatId}`);
  expect(response?.status()).toBe(404);
  await expect(strangerPage.getByRole("heading", { name: /couldn.t find that chat/i })).toBeVisible();
  await expect(strangerPage.getByText("My private plans")).toHaveCount(0);

  for (const path of [`/api/chats/${chatId}`, `/api/chat/${chatId}/stream`]) {
    const api = await strangerPage.request.get(path);
    expect(api.status(), path).toBe(404);
    expect((await api.json()).error.code).toBe("not_found");
  }
  const deletion = await strangerPage.request.delete(`/api/chats/${chatId}`);
  expect(deletion.status()).toBe(404);

  await owner.page.reload();
  await expect(owner.lastUserMessage()).toHaveText("My private plans");
  await ownerContext.close();
  await strangerContext.close();
});
