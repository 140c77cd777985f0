// GET /api/admin/feedback: feedback on replies by model and plan, and the latest comments (admins only).
import { feedbackSummary } from "@/lib/admin/feedback";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route.admin("admin.feedback", async ({ services }) => {
  return Response.json(await feedbackSummary(services), { headers: { "Cache-Control": "no-store" } });
});
