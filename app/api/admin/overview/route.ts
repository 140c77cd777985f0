// GET /api/admin/overview: the overview's live figures (admins only); the page polls it.
import { readOverview } from "@/lib/admin/overview";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route.admin("admin.overview", async ({ services }) => {
  return Response.json(await readOverview(services), { headers: { "Cache-Control": "no-store" } });
});
