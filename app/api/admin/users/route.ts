// GET /api/admin/users?q=&page=&pageSize=&guests=: users by email, name or id, newest first (admins only).
import { requireAdmin } from "@/lib/admin/access";
import { listUsersQuerySchema } from "@/lib/admin/schemas";
import { listUsers } from "@/lib/admin/users";
import { parseWith, route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const dynamic = "force-dynamic";

export const GET = route("admin.users.list", async (request, context) => {
  const services = await getServices();
  const admin = await requireAdmin(services, request.headers);
  context.userId = admin.userId;
  const query = parseWith(listUsersQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  return Response.json(await listUsers(services, admin, { query: query.q, page: query.page, pageSize: query.pageSize, guests: query.guests }));
});
