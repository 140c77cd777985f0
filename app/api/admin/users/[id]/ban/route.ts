// POST /api/admin/users/{id}/ban { reason? }: ban a user; DELETE: lift the ban (admins only, audited).
import { requireAdmin } from "@/lib/admin/access";
import { banUserSchema, userIdSchema } from "@/lib/admin/schemas";
import { banUser, unbanUser } from "@/lib/admin/users";
import { parseJsonBody, parseWith, route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const dynamic = "force-dynamic";

export const POST = route<{ id: string }>("admin.users.ban", async (request, context, params) => {
  const services = await getServices();
  const admin = await requireAdmin(services, request.headers);
  context.userId = admin.userId;
  const userId = parseWith(userIdSchema, params.id);
  const body = await parseJsonBody(request, banUserSchema);
  return Response.json({ user: await banUser(services, admin, userId, body) });
});

export const DELETE = route<{ id: string }>("admin.users.unban", async (request, context, params) => {
  const services = await getServices();
  const admin = await requireAdmin(services, request.headers);
  context.userId = admin.userId;
  return Response.json({ user: await unbanUser(services, admin, parseWith(userIdSchema, params.id)) });
});
