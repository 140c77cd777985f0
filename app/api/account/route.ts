// DELETE /api/account { confirm: "<the account's email>" }: deletes the signed-in account and all its chats.
import { deleteAccount, deleteAccountSchema } from "@/lib/account/delete-account";
import { requireViewer } from "@/lib/auth/viewer";
import { parseJsonBody, route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const DELETE = route("account.delete", async (request, context) => {
  const services = await getServices();
  const viewer = await requireViewer(services, request.headers);
  context.userId = viewer.userId;
  const { signedOutCookies } = await deleteAccount(services, viewer, await parseJsonBody(request, deleteAccountSchema));
  const response = new Response(null, { status: 204 });
  for (const cookie of signedOutCookies) response.headers.append("Set-Cookie", cookie);
  return response;
});
