// GET /api/chats?limit=&before=&q=: the signed-in user's chats, newest first.
import { requireViewer } from "@/lib/auth/viewer";
import { listChats } from "@/lib/history/history";
import { listChatsQuerySchema } from "@/lib/chat/schemas";
import { parseWith, route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const GET = route("chats.list", async (request, context) => {
  const services = await getServices();
  const viewer = await requireViewer(services, request.headers);
  context.userId = viewer.userId;
  const query = parseWith(listChatsQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  const page = await listChats(services, { userId: viewer.userId, limit: query.limit, before: query.before, query: query.q });
  return Response.json(page);
});
