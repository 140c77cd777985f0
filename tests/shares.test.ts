/**
 * Share links over HTTP against `next start` on PostgreSQL and Redis (README: Share links): the
 * owner shares a chat as it shows (its selected versions), a stranger with no session reads the
 * snapshot through the API and the server-rendered page (cacheable, with Open Graph metadata, the
 * owner named only by their account's name), a re-share replaces the link, a revoke makes it 404;
 * another account's requests about the chat answer 404 and a guest may not share.
 *
 * Needs a production build (`npm run build`; `npm test` builds first).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpUser, readStream } from "./support/http-user";
import { startProductionInstance, type ProductionInstance } from "./support/production-instance";
import { uniqueSuffix } from "./support/scratch";

let server: ProductionInstance;

beforeAll(async () => {
  // Titles stay first-line titles (as the run sets them anyway): the snapshot's title is the first message.
  server = await startProductionInstance({ port: 3661, env: { CHAT_TITLES: "first-line" } });
}, 120_000);

afterAll(async () => {
  await server?.stop();
}, 60_000);

let nextIp = 10;
async function account(name: string, email = `share-${uniqueSuffix()}@example.test`): Promise<HttpUser & { email: string }> {
  const user = Object.assign(new HttpUser(`198.51.100.${(nextIp += 1)}`, server.url), { email });
  const signUp = await user.signUp(server.url, { email, password: "a long enough password", name });
  expect(signUp.status).toBe(200);
  return user;
}

async function say(user: HttpUser, body: Record<string, unknown>): Promise<void> {
  const read = await readStream(await user.send(server.url, body));
  expect(read.status).toBe(200);
  expect(read.finished).toBe(true);
}

function call(user: HttpUser, method: string, path: string): Promise<Response> {
  return fetch(`${server.url}${path}`, { method, headers: user.headers() });
}

interface ShareStatusBody {
  shared: boolean;
  path?: string;
  token?: string;
  audience?: string;
  sharedAt?: number;
}

describe("share links", () => {
  it("a stranger reads the chat as shown when shared, cached briefly, until a re-share or a revoke makes its link 404", async () => {
    const owner = await account("Ada Lovelace");
    const chatId = `c_${uniqueSuffix()}`;
    const firstText = `How do tides work ${uniqueSuffix()}`;
    await say(owner, { chatId, messageId: "m1", text: firstText });
    // A second version of the first message, then the first shown again: that is what is shared.
    const editedText = `Edited question that must not be shared ${uniqueSuffix()}`;
    await say(owner, { chatId, messageId: "m2", text: editedText, editOf: "m1" });
    const shown = await owner.post(server.url, `/api/chats/${chatId}/versions`, { messageId: "m1" });
    expect(shown.status).toBe(200);

    const created = await call(owner, "POST", `/api/chats/${chatId}/share`);
    expect(created.status).toBe(201);
    const share = (await created.json()) as ShareStatusBody;
    expect(share).toMatchObject({ shared: true, audience: "anyone-with-the-link", path: `/share/${share.token}` });
    expect(share.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await (await call(owner, "GET", `/api/chats/${chatId}/share`)).json()).toEqual(share);

    const stranger = new HttpUser("198.51.100.200", server.url);
    const api = await call(stranger, "GET", `/api/shares/${share.token}`);
    expect(api.status).toBe(200);
    expect(api.headers.get("cache-control")).toMatch(/s-maxage=30/);
    const apiText = await api.text();
    const body = JSON.parse(apiText) as { title: string; ownerName: string; messages: { role: string; parts: { text: string }[] }[] };
    expect(body.title).toBe(firstText);
    expect(body.ownerName).toBe("Ada Lovelace");
    expect(body.messages.map((message) => message.role)).toEqual(["user", "assistant"]);
    expect(body.messages[0].parts[0].text).toBe(firstText);
    // Nothing that names the owner, the chat or a message.
    for (const secret of [owner.email, chatId, '"m1"', editedText, '"id"']) expect(apiText).not.toContain(secret);

    const page = await call(stranger, "GET", share.path!);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toMatch(/s-maxage=30/);
    const html = await page.text();
    expect(html).toContain(`<meta property="og:title" content="${firstText}"/>`);
    expect(html).toContain(`<meta property="og:description" content="${firstText}"/>`);
    expect(html).toContain("Ada Lovelace");
    expect(html).toContain("Start your own chat");
    for (const secret of [owner.email, chatId, editedText]) expect(html).not.toContain(secret);

    // Sharing again makes a new snapshot at a new link; the old one is gone.
    const again = (await (await call(owner, "POST", `/api/chats/${chatId}/share`)).json()) as ShareStatusBody;
    expect(again.token).not.toBe(share.token);
    expect((await call(stranger, "GET", `/api/shares/${share.token}`)).status).toBe(404);
    expect((await call(stranger, "GET", share.path!)).status).toBe(404);
    expect((await call(stranger, "GET", again.path!)).status).toBe(200);

    const revoked = await call(owner, "DELETE", `/api/chats/${chatId}/share`);
    expect(revoked.status).toBe(204);
    expect(await (await call(owner, "GET", `/api/chats/${chatId}/share`)).json()).toEqual({ shared: false });
    const gone = await call(stranger, "GET", `/api/shares/${again.token}`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe("not_found");
    expect((await call(stranger, "GET", again.path!)).status).toBe(404);
  });

  it("another account gets 404 for every share request about the chat; a guest is told to make an account", async () => {
    const owner = await account("Grace");
    const chatId = `c_${uniqueSuffix()}`;
    await say(owner, { chatId, messageId: "m1", text: `Shared only by its owner ${uniqueSuffix()}` });
    const other = await account("Mallory");
    for (const method of ["POST", "GET", "DELETE"]) {
      const response = await call(other, method, `/api/chats/${chatId}/share`);
      expect({ method, status: response.status }).toEqual({ method, status: 404 });
    }
    // The owner's chat was not shared by any of that.
    expect(await (await call(owner, "GET", `/api/chats/${chatId}/share`)).json()).toEqual({ shared: false });

    const guest = new HttpUser("198.51.100.201", server.url);
    await guest.signIn(server.url);
    const guestChat = `c_${uniqueSuffix()}`;
    await say(guest, { chatId: guestChat, messageId: "m1", text: `A guest's chat ${uniqueSuffix()}` });
    const refused = await call(guest, "POST", `/api/chats/${guestChat}/share`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("account_required");
    expect((await call(guest, "POST", `/api/chats/${chatId}/share`)).status).toBe(404);
  });

  it("an owner whose account name is their address is shown as \"A Stampede user\"", async () => {
    const email = `named-by-address-${uniqueSuffix()}@example.test`;
    const owner = await account(email, email);
    const chatId = `c_${uniqueSuffix()}`;
    await say(owner, { chatId, messageId: "m1", text: `Who shared this ${uniqueSuffix()}` });
    const share = (await (await call(owner, "POST", `/api/chats/${chatId}/share`)).json()) as ShareStatusBody;
    const read = await call(new HttpUser("198.51.100.202", server.url), "GET", `/api/shares/${share.token}`);
    const text = await read.text();
    expect(JSON.parse(text).ownerName).toBe("A Stampede user");
    expect(text).not.toContain(email);
  });
});
