// GET /api/admin/chats?chatId= | ?user=<email or id>: a chat, or a user's chats, for support (admins only; every view audited).
import { viewChat, viewUserChats } from "@/lib/admin/chats";
import { chatLookupQuerySchema } from "@/lib/admin/schemas";
import { parseWith, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route.admin("admin.chats.view", async ({ request, services, admin }) => {
  const query = parseWith(chatLookupQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  const body = "chatId" in query ? await viewChat(services, admin, query) : await viewUserChats(services, admin, query);
  return Response.json(body, { headers: { "Cache-Control": "no-store" } });
});
