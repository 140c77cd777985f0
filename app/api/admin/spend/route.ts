// GET /api/admin/spend: the users whose replies cost the most this month (admins only).
import { readTopSpenders } from "@/lib/admin/top-spenders";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route.admin("admin.spend", async ({ services }) => {
  return Response.json(await readTopSpenders(services), { headers: { "Cache-Control": "no-store" } });
});
