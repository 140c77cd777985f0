// GET /api/shares/{token}: a shared chat's snapshot, for anyone with the link (no session needed):
// { title, ownerName, sharedAt, messages: [{ role, parts }] }. 404 once revoked or replaced.
import { route } from "@/lib/http/route";
import { readSharedChat } from "@/lib/shares/chat-shares";
import { SHARED_CHAT_CACHE_CONTROL } from "@/lib/shares/shared-page-cache";
import { getServices } from "@/lib/services";

export const GET = route<{ token: string }>("shares.get", async (_request, _context, params) => {
  const shared = await readSharedChat(await getServices(), params.token);
  return Response.json(shared, { headers: { "Cache-Control": SHARED_CHAT_CACHE_CONTROL } });
});
