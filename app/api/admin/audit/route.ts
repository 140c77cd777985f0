// GET /api/admin/audit?limit=&cursor=&targetId=: the audit log, newest first (admins only).
import { listAudit } from "@/lib/admin/audit-log";
import { auditQuerySchema } from "@/lib/admin/schemas";
import { parseWith, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route.admin("admin.audit.list", async ({ request, services, admin }) => {
  const query = parseWith(auditQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  return Response.json(await listAudit(services, admin, query), { headers: { "Cache-Control": "no-store" } });
});
