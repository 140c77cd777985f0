// POST /api/chat/{chatId}/stop: stop the chat's reply in progress, whichever instance runs it.
import { idSchema } from "@/lib/chat/schemas";
import { stopReply } from "@/lib/chat/send-message";
import { parseWith, route } from "@/lib/http/route";

export const POST = route.user<{ id: string }>("chat.stop", async ({ services, viewer, params }) => {
  await stopReply(services, { chatId: parseWith(idSchema, params.id), userId: viewer.userId });
  return new Response(null, { status: 204 });
});
