// POST /api/chats/{id}/share: share the chat as it shows now (a new snapshot and link, replacing any
// before). GET: whether it is shared, since when, at which link. DELETE: revoke the link.
// lib/shares/chat-shares.ts holds the rules; a replaced or revoked link's cached page is let go here.
import { idSchema } from "@/lib/chat/schemas";
import { parseWith, route } from "@/lib/http/route";
import { readShareStatus, revokeShare, shareChat } from "@/lib/shares/chat-shares";
import { forgetSharedPage } from "@/lib/shares/shared-page-cache";

export const POST = route.user<{ id: string }>("chats.share", async ({ services, viewer, params }) => {
  const chatId = parseWith(idSchema, params.id);
  const { status, replacedToken } = await shareChat(services, { chatId, sharer: viewer });
  if (replacedToken) forgetSharedPage(replacedToken);
  return Response.json(status, { status: 201 });
});

export const GET = route.user<{ id: string }>("chats.share.get", async ({ services, viewer, params }) => {
  return Response.json(await readShareStatus(services, { chatId: parseWith(idSchema, params.id), userId: viewer.userId }));
});

export const DELETE = route.user<{ id: string }>("chats.share.revoke", async ({ services, viewer, params }) => {
  const revoked = await revokeShare(services, { chatId: parseWith(idSchema, params.id), userId: viewer.userId });
  if (revoked) forgetSharedPage(revoked);
  return new Response(null, { status: 204 });
});
