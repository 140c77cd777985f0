// GET /api/admin/overview: the overview's live figures (admins only); the page polls it.
import { requireAdmin } from "@/lib/admin/access";
import { readOverview } from "@/lib/admin/overview";
import { route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const dynamic = "force-dynamic";

export const GET = route("admin.overview", async (request, context) => {
  const services = await getServices();
  context.userId = (await requireAdmin(services, request.headers)).userId;
  return Response.json(await readOverview(services), { headers: { "Cache-Control": "no-store" } });
});
