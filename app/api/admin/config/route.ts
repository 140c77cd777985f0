// GET /api/admin/config: drivers, policies and capacity settings, without secrets (admins only).
import { describeConfiguration } from "@/lib/admin/configuration";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route.admin("admin.config", async ({ services }) => {
  return Response.json(describeConfiguration(services.config));
});
