// GET /api/chat/{chatId}/stream[?offset=N]: resume the chat's reply in progress, on any instance.
import { activeReplyFor } from "@/lib/replies/active-reply";
import { recoverOrphanedReply } from "@/lib/replies/reply-owners";
import { replyStreamResponse } from "@/lib/replies/reply-stream";
import { idSchema, streamQuerySchema } from "@/lib/chat/schemas";
import { parseWith, route } from "@/lib/http/route";

// How long the platform lets this function run (Vercel reads it; Next needs a literal here). The
// Inngest client's checkpointing.maxRuntime (inngest/client.ts) stays below it.
export const maxDuration = 300;

export const GET = route.user<{ id: string }>("chat.resume", async ({ request, services, viewer, params }) => {
  const chatId = parseWith(idSchema, params.id);
  const query = parseWith(streamQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  const replyId = await activeReplyFor(services, { chatId, userId: viewer.userId });
  // 204 tells useChat there is nothing to resume.
  if (!replyId) return new Response(null, { status: 204 });
  return replyStreamResponse(services.hot, {
    replyId,
    userId: viewer.userId,
    fromOffset: query.offset,
    signal: request.signal,
    headers: { "X-Chat-Id": chatId, "X-Reply-Id": replyId },
    recover: (id) => recoverOrphanedReply(services, id),
    config: services.config,
  });
});
