// POST /api/chat: accept a user message, queue its reply, stream the reply as it is generated.
import { recoverOrphanedReply } from "@/lib/replies/reply-owners";
import { replyStreamResponse } from "@/lib/replies/reply-stream";
import { chatRequestSchema } from "@/lib/chat/schemas";
import { acceptChatRequest } from "@/lib/chat/chat-request";
import { clientIpFrom } from "@/lib/limits/client-ip";
import { parseJsonBody, route } from "@/lib/http/route";

// How long the platform lets this function run (Vercel reads it; Next needs a literal here). The
// Inngest client's checkpointing.maxRuntime (inngest/client.ts) stays below it.
export const maxDuration = 300;

export const POST = route.user("chat.send", async ({ request, services, viewer }) => {
  const body = await parseJsonBody(request, chatRequestSchema);
  const { replyId, chat, state, headers } = await acceptChatRequest(services, {
    sender: viewer,
    clientIp: clientIpFrom(request.headers, services.config.limits.clientIp),
    request:
      "regenerate" in body
        ? { kind: "regenerate", chatId: body.chatId, modelId: body.model }
        : { kind: "send", chatId: body.chatId, messageId: body.messageId, text: body.text, editOf: body.editOf, attachmentIds: body.attachments, modelId: body.model },
  });
  return replyStreamResponse(services.hot, {
    replyId,
    state,
    userId: viewer.userId,
    signal: request.signal,
    headers: { ...headers, "X-Chat-Id": chat.id, "X-Reply-Id": replyId },
    recover: (id) => recoverOrphanedReply(services, id),
    config: services.config,
  });
}, { maxBodyBytes: 256 * 1024 });
