// GET /api/admin/users?q=&page=&pageSize=&guests=: users by email, name or id, newest first (admins only).
import { listUsersQuerySchema } from "@/lib/admin/schemas";
import { listUsers } from "@/lib/admin/users";
import { parseWith, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route.admin("admin.users.list", async ({ request, services, admin }) => {
  const query = parseWith(listUsersQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  return Response.json(await listUsers(services, admin, { query: query.q, page: query.page, pageSize: query.pageSize, guests: query.guests }));
});
