// POST /api/chat/{chatId}/stop: stop the chat's reply in progress, whichever instance runs it.
import { requireViewer } from "@/lib/auth/viewer";
import { idSchema, stopRequestSchema } from "@/lib/chat/schemas";
import { stopReply } from "@/lib/chat/send-message";
import { parseJsonBody, parseWith, route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const POST = route<{ id: string }>("chat.stop", async (request, context, params) => {
  const services = await getServices();
  const viewer = await requireViewer(services, request.headers);
  context.userId = viewer.userId;
  const chatId = parseWith(idSchema, params.id);
  // The body is optional: a stop without one keeps what the job wrote until it noticed.
  const { shownChars } = request.headers.has("content-type") ? await parseJsonBody(request, stopRequestSchema) : {};
  await stopReply(services, { chatId, userId: viewer.userId, shownChars });
  return new Response(null, { status: 204 });
});
