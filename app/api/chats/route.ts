// GET /api/chats?limit=&before=&q=: the signed-in user's chats, newest first; q matches titles and message text.
import { listChats } from "@/lib/history/history";
import { listChatsQuerySchema } from "@/lib/chat/schemas";
import { parseWith, route } from "@/lib/http/route";

export const GET = route.user("chats.list", async ({ request, services, viewer }) => {
  const query = parseWith(listChatsQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  const page = await listChats(services, { userId: viewer.userId, limit: query.limit, before: query.before, query: query.q });
  return Response.json(page);
});
