// GET /api/chats/{id}/instructions: which custom instructions the chat uses. PUT { preset: "default" | "none" | <id> }: choose them.
import { idSchema } from "@/lib/chat/schemas";
import { chooseChatInstructions, getChatInstructions } from "@/lib/instructions/instructions";
import { chatInstructionsSchema } from "@/lib/instructions/schemas";
import { parseJsonBody, parseWith, route } from "@/lib/http/route";

export const GET = route.user<{ id: string }>("chats.instructions.get", async ({ services, viewer, params }) => {
  return Response.json(await getChatInstructions(services, viewer, parseWith(idSchema, params.id)));
});

export const PUT = route.user<{ id: string }>("chats.instructions.choose", async ({ request, services, viewer, params }) => {
  const chatId = parseWith(idSchema, params.id);
  const { preset } = await parseJsonBody(request, chatInstructionsSchema);
  return Response.json(await chooseChatInstructions(services, viewer, chatId, preset));
});
