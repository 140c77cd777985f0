/** Request shapes of the chat and history APIs, validated at the edge of each route. */
import { z } from "zod";

/** Ids are made by clients (useChat) or the server: short, URL-safe, no path tricks. */
export const idSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "expected letters, digits, '-' or '_'");

const modelSchema = z.string().max(200).optional();

/**
 * POST /api/chat takes one of three shapes: a new message, a regeneration of the last reply, or
 * an edit of the last user message (a new version of it; the one before is kept).
 */
export const chatRequestSchema = z.union([
  z.strictObject({ chatId: idSchema, regenerate: z.literal(true), model: modelSchema }),
  z.strictObject({
    chatId: idSchema,
    messageId: idSchema,
    /** Length limits are the domain's (413 with the configured maximum), not the schema's. */
    text: z.string(),
    editOf: idSchema.optional(),
    /** Ids from POST /api/attachments; how many a message may carry is the plan's (too_many_attachments). */
    attachments: z.array(idSchema).max(50).optional(),
    model: modelSchema,
  }),
]);

/**
 * POST /api/chat/{id}/stop may say how much of the reply the person saw when they pressed Stop
 * (the characters of its text): the stored reply is cut there, not where the job noticed the stop.
 */
export const stopRequestSchema = z.strictObject({
  shownChars: z.number().int().min(0).max(10_000_000).optional(),
});

export const streamQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
});

/** The latest time a JavaScript Date holds (ms): a later `before` is no time at all. */
export const LATEST_DATE_MS = 8.64e15;

export const listChatsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(30),
  before: z.coerce.number().int().min(0).max(LATEST_DATE_MS).optional(),
  q: z.string().max(200).optional(),
});

/** PATCH /api/chats/{id}: a new title, as a person typed it (surrounding spaces dropped). */
export const renameChatSchema = z.strictObject({
  title: z.string().trim().min(1, "a title cannot be empty").max(200),
});

/** POST /api/chats/{id}/versions: show this version of its turn (a message of the chat). */
export const showVersionSchema = z.strictObject({ messageId: idSchema });
