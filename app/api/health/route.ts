// GET /api/health: 200 when every driver answers, 503 naming the one that does not.
import { checkHealth } from "@/lib/health";
import { route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const dynamic = "force-dynamic";

export const GET = route("health", async () => {
  const report = await checkHealth(await getServices());
  return Response.json(report, { status: report.status === "ok" ? 200 : 503 });
});
