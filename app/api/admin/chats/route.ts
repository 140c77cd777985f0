// GET /api/admin/chats?chatId= | ?user=<email or id>: a chat, or a user's chats, for support (admins only; every view audited).
import { requireAdmin } from "@/lib/admin/access";
import { viewChat, viewUserChats } from "@/lib/admin/chats";
import { chatLookupQuerySchema } from "@/lib/admin/schemas";
import { parseWith, route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const dynamic = "force-dynamic";

export const GET = route("admin.chats.view", async (request, context) => {
  const services = await getServices();
  const admin = await requireAdmin(services, request.headers);
  context.userId = admin.userId;
  const query = parseWith(chatLookupQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  const body = "chatId" in query ? await viewChat(services, admin, query) : await viewUserChats(services, admin, query);
  return Response.json(body, { headers: { "Cache-Control": "no-store" } });
});
