// GET /api/instructions: the account's custom instructions and their limits. POST { name, text, isDefault? }: add a preset.
import { createPreset, listPresets } from "@/lib/instructions/instructions";
import { INSTRUCTION_LIMITS } from "@/lib/instructions/limits";
import { createPresetSchema } from "@/lib/instructions/schemas";
import { parseJsonBody, route } from "@/lib/http/route";

export const GET = route.user("instructions.list", async ({ services, viewer }) => {
  return Response.json({ presets: await listPresets(services, viewer), limits: INSTRUCTION_LIMITS });
});

export const POST = route.user("instructions.create", async ({ request, services, viewer }) => {
  const input = await parseJsonBody(request, createPresetSchema);
  return Response.json({ preset: await createPreset(services, viewer, input) }, { status: 201 });
});
