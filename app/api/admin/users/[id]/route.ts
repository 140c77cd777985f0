// GET /api/admin/users/{id}: a user and their usage; PATCH { tier?, role? }: change them (admins only, audited).
import { requireAdmin } from "@/lib/admin/access";
import { updateUserSchema, userIdSchema } from "@/lib/admin/schemas";
import { getUserDetail, updateUser } from "@/lib/admin/users";
import { parseJsonBody, parseWith, route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const dynamic = "force-dynamic";

export const GET = route<{ id: string }>("admin.users.get", async (request, context, params) => {
  const services = await getServices();
  const admin = await requireAdmin(services, request.headers);
  context.userId = admin.userId;
  return Response.json(await getUserDetail(services, admin, parseWith(userIdSchema, params.id)));
});

export const PATCH = route<{ id: string }>("admin.users.update", async (request, context, params) => {
  const services = await getServices();
  const admin = await requireAdmin(services, request.headers);
  context.userId = admin.userId;
  const userId = parseWith(userIdSchema, params.id);
  const change = await parseJsonBody(request, updateUserSchema);
  return Response.json({ user: await updateUser(services, admin, userId, change) });
});
