// GET /api/account/usage: what the signed-in user's replies cost today and this month, and their budgets.
import { readAccountUsage } from "@/lib/account/account-usage";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route.user("account.usage", async ({ services, viewer }) => {
  return Response.json(await readAccountUsage(services, viewer), { headers: { "Cache-Control": "no-store" } });
});
