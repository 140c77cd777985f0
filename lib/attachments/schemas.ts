/** Request shapes of the attachment routes, validated at the edge of each. */
import { z } from "zod";

/** Ids are the server's: 22 URL-safe characters (128 random bits), nothing else. */
export const attachmentIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/, "expected an attachment id");

/** POST /api/attachments?name=: the file's name, shown beside it (its content decides its type). */
export const uploadQuerySchema = z.object({ name: z.string().max(1000).optional() });
