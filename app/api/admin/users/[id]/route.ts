// GET /api/admin/users/{id}: a user and their usage; PATCH { tier?, role? }: change them (admins only, audited).
import { updateUserSchema, userIdSchema } from "@/lib/admin/schemas";
import { getUserDetail, updateUser } from "@/lib/admin/users";
import { parseJsonBody, parseWith, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route.admin<{ id: string }>("admin.users.get", async ({ services, admin, params }) => {
  return Response.json(await getUserDetail(services, admin, parseWith(userIdSchema, params.id)));
});

export const PATCH = route.admin<{ id: string }>("admin.users.update", async ({ request, services, admin, params }) => {
  const userId = parseWith(userIdSchema, params.id);
  const change = await parseJsonBody(request, updateUserSchema);
  return Response.json({ user: await updateUser(services, admin, userId, change) });
});
