// GET /api/metrics: the overview's figures in Prometheus's text format, for a scraper holding METRICS_TOKEN.
import { renderMetrics, metricsAccess } from "@/lib/admin/metrics";
import { readOverview } from "@/lib/admin/overview";
import { AppError, notFound } from "@/lib/errors";
import { route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const dynamic = "force-dynamic";

export const GET = route("metrics", async (request) => {
  const services = await getServices();
  const access = metricsAccess(services.config, request.headers.get("authorization"));
  // Off unless configured: as if there were no such route.
  if (access === "off") throw notFound("Page");
  if (access === "denied") throw new AppError("unauthorized", "Send the metrics token as `Authorization: Bearer <token>`.");
  const { contentType, body } = await renderMetrics(await readOverview(services));
  return new Response(body, { headers: { "Content-Type": contentType, "Cache-Control": "no-store" } });
});
