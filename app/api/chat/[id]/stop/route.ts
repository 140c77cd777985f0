// POST /api/chat/{chatId}/stop: stop the chat's reply in progress, whichever instance runs it.
import { requireViewer } from "@/lib/auth/viewer";
import { idSchema } from "@/lib/chat/schemas";
import { stopReply } from "@/lib/chat/send-message";
import { parseWith, route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const POST = route<{ id: string }>("chat.stop", async (request, context, params) => {
  const services = await getServices();
  const viewer = await requireViewer(services, request.headers);
  context.userId = viewer.userId;
  await stopReply(services, { chatId: parseWith(idSchema, params.id), userId: viewer.userId });
  return new Response(null, { status: 204 });
});
