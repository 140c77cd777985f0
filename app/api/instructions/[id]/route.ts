// PATCH /api/instructions/{id} { name?, text?, isDefault? }: edit or rename a preset. DELETE: remove it.
import { deletePreset, updatePreset } from "@/lib/instructions/instructions";
import { presetIdSchema, updatePresetSchema } from "@/lib/instructions/schemas";
import { parseJsonBody, parseWith, route } from "@/lib/http/route";

export const PATCH = route.user<{ id: string }>("instructions.update", async ({ request, services, viewer, params }) => {
  const presetId = parseWith(presetIdSchema, params.id);
  const changes = await parseJsonBody(request, updatePresetSchema);
  return Response.json({ preset: await updatePreset(services, viewer, presetId, changes) });
});

export const DELETE = route.user<{ id: string }>("instructions.delete", async ({ services, viewer, params }) => {
  await deletePreset(services, viewer, parseWith(presetIdSchema, params.id));
  return new Response(null, { status: 204 });
});
