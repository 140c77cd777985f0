/**
 * Costs and budgets through the UI: an admin gives an account a daily budget of a little more
 * than its longest reply can cost (a free plan's 2,000-token output cap at the e2e price of $400
 * per million output tokens: $0.80); the person's first reply spends some of it, the next message
 * is refused with the budget's message in the chat; the account menu and the account page show
 * what was spent, and the admin sees it on the user's page and the overview.
 */
import { randomBytes } from "node:crypto";
import { expect, test, newVisitorContext } from "./support/fixtures";
import { becomeAdmin, newAccount, signUp } from "./support/accounts";
import { ChatPage } from "./pages/chat-page";

test("a person who runs out of budget sees the message, and sees their spending", async ({ page, browser }) => {
  const suffix = randomBytes(4).toString("hex");
  const person = await newVisitorContext(browser);
  const personPage = await person.newPage();
  const account = newAccount();
  await signUp(personPage, account);
  const userId: string = (await (await personPage.request.get("/api/auth/get-session")).json()).user.id;

  await becomeAdmin(page);
  await page.goto("/admin/users");
  await page.getByTestId("admin-user-search").fill(userId);
  const row = page.locator(`[data-testid="admin-user-row"][data-user-id="${userId}"]`);
  await expect(row).toHaveCount(1);
  await row.getByTestId("admin-user-manage").click();
  const detail = page.getByTestId("admin-user-detail");
  await detail.getByTestId("admin-budget-daily").fill("0.81");
  await detail.getByTestId("admin-budget-save").click();
  await expect(detail).toContainText("Budget saved.");

  const chat = new ChatPage(personPage);
  await chat.open();
  await chat.send(`What do budgets teach us ${suffix}?`);
  await chat.waitForReplyDone();
  await chat.send("And one more thing?");
  await expect(chat.errorBanner).toContainText("You've reached your daily budget of $0.81. It renews in");
  await personPage.getByTestId("account-menu-button").click();
  await expect(personPage.getByTestId("account-menu-spend")).toContainText(/^Spent today \$0\.0\d+ of \$0\.81 · this month \$0\.0\d+$/);

  await personPage.goto("/account");
  const spending = personPage.getByTestId("spend-summary");
  await expect(spending.getByTestId("spend-today")).toHaveText(/^\$0\.0\d+$/);
  await expect(spending.getByTestId("budget-daily")).toContainText("of $0.81 used");

  await detail.getByRole("button", { name: "Refresh" }).click();
  await expect(detail.getByTestId("admin-usage-spend-today")).not.toHaveText("$0.00");
  await page.goto("/admin");
  await expect(page.getByTestId("overview-spend")).toContainText("free");
  await person.close();
});
