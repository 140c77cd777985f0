/** Request shapes of the custom-instructions API, validated at the edge of each route. */
import { z } from "zod";
import { INSTRUCTION_LIMITS } from "./limits";

const nameSchema = z.string().trim().min(1, "a name cannot be empty").max(INSTRUCTION_LIMITS.maxNameLength);
const textSchema = z.string().trim().min(1, "instructions cannot be empty").max(INSTRUCTION_LIMITS.maxTextLength);

/** Presets are named by UUIDs the server makes, so they never read as "default" or "none". */
export const presetIdSchema = z.uuid();

/** POST /api/instructions */
export const createPresetSchema = z.strictObject({ name: nameSchema, text: textSchema, isDefault: z.boolean().optional() });

/** PATCH /api/instructions/{id}: any of the fields; `isDefault: false` leaves the user with no default. */
export const updatePresetSchema = z
  .strictObject({ name: nameSchema.optional(), text: textSchema.optional(), isDefault: z.boolean().optional() })
  .refine((body) => Object.keys(body).length > 0, "give a name, text or isDefault to change");

/** PUT /api/chats/{id}/instructions: the user's default preset, none, or one preset by id. */
export const chatInstructionsSchema = z.strictObject({ preset: z.union([z.literal("default"), z.literal("none"), presetIdSchema]) });
