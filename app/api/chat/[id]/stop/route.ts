// POST /api/chat/{chatId}/stop: stop the chat's reply in progress, whichever instance runs it.
import { idSchema, stopRequestSchema } from "@/lib/chat/schemas";
import { stopReply } from "@/lib/chat/send-message";
import { parseJsonBody, parseWith, route } from "@/lib/http/route";

export const POST = route.user<{ id: string }>("chat.stop", async ({ request, services, viewer, params }) => {
  const chatId = parseWith(idSchema, params.id);
  // The body is optional: a stop without one keeps what the job wrote until it noticed.
  const { shownChars } = request.headers.has("content-type") ? await parseJsonBody(request, stopRequestSchema) : {};
  await stopReply(services, { chatId, userId: viewer.userId, shownChars });
  return new Response(null, { status: 204 });
});
