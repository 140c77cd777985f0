// DELETE /api/account { confirm: "<the account's email>" }: deletes the signed-in account and all its chats.
import { deleteAccount, deleteAccountSchema } from "@/lib/account/delete-account";
import { parseJsonBody, route } from "@/lib/http/route";

export const DELETE = route.user("account.delete", async ({ request, services, viewer }) => {
  const { signedOutCookies } = await deleteAccount(services, viewer, await parseJsonBody(request, deleteAccountSchema));
  const response = new Response(null, { status: 204 });
  for (const cookie of signedOutCookies) response.headers.append("Set-Cookie", cookie);
  return response;
});
