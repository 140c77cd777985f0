// GET /api/admin/config: drivers, policies and capacity settings, without secrets (admins only).
import { requireAdmin } from "@/lib/admin/access";
import { describeConfiguration } from "@/lib/admin/configuration";
import { route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const dynamic = "force-dynamic";

export const GET = route("admin.config", async (request, context) => {
  const services = await getServices();
  context.userId = (await requireAdmin(services, request.headers)).userId;
  return Response.json(describeConfiguration(services.config));
});
