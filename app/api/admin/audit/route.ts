// GET /api/admin/audit?limit=&cursor=&targetId=: the audit log, newest first (admins only).
import { requireAdmin } from "@/lib/admin/access";
import { listAudit } from "@/lib/admin/audit-log";
import { auditQuerySchema } from "@/lib/admin/schemas";
import { parseWith, route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const dynamic = "force-dynamic";

export const GET = route("admin.audit.list", async (request, context) => {
  const services = await getServices();
  const admin = await requireAdmin(services, request.headers);
  context.userId = admin.userId;
  const query = parseWith(auditQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  return Response.json(await listAudit(services, admin, query), { headers: { "Cache-Control": "no-store" } });
});
