// POST /api/admin/users/{id}/ban { reason? }: ban a user; DELETE: lift the ban (admins only, audited).
import { banUserSchema, userIdSchema } from "@/lib/admin/schemas";
import { banUser, unbanUser } from "@/lib/admin/users";
import { parseJsonBody, parseWith, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const POST = route.admin<{ id: string }>("admin.users.ban", async ({ request, services, admin, params }) => {
  const userId = parseWith(userIdSchema, params.id);
  const body = await parseJsonBody(request, banUserSchema);
  return Response.json({ user: await banUser(services, admin, userId, body) });
});

export const DELETE = route.admin<{ id: string }>("admin.users.unban", async ({ services, admin, params }) => {
  return Response.json({ user: await unbanUser(services, admin, parseWith(userIdSchema, params.id)) });
});
