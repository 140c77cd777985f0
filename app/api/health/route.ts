// GET /api/health: 200 when every driver answers, 503 naming the one that does not; the drivers'
// error messages (internal host names and ports) only for a caller holding METRICS_TOKEN.
import { metricsAccess } from "@/lib/admin/metrics";
import { checkHealth, withoutErrorDetails } from "@/lib/health";
import { route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const dynamic = "force-dynamic";

export const GET = route("health", async (request) => {
  const services = await getServices();
  const report = await checkHealth(services);
  const detailed = metricsAccess(services.config, request.headers.get("authorization")) === "allowed";
  return Response.json(detailed ? report : withoutErrorDetails(report), { status: report.status === "ok" ? 200 : 503 });
});
