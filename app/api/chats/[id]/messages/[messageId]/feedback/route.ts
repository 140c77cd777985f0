// POST or PUT /api/chats/{id}/messages/{messageId}/feedback { rating, comment? }: the chat owner's thumbs up or down on a reply (given again, it replaces the earlier one).
import { giveFeedback } from "@/lib/feedback/feedback";
import { feedbackParamsSchema, feedbackSchema } from "@/lib/feedback/schemas";
import { parseJsonBody, parseWith, route } from "@/lib/http/route";

const give = route.user<{ id: string; messageId: string }>("chats.feedback.give", async ({ request, services, viewer, params }) => {
  const { id: chatId, messageId } = parseWith(feedbackParamsSchema, params);
  const body = await parseJsonBody(request, feedbackSchema);
  const feedback = await giveFeedback(services, viewer, { chatId, messageId, ...body });
  return Response.json({ feedback });
});

export const POST = give;
export const PUT = give;
