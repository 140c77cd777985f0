/** Request shapes of the feedback API, validated at the edge of its route; the limits are the feedback form's too. */
import { z } from "zod";
import { idSchema } from "@/lib/chat/schemas";

export const FEEDBACK_COMMENT_MAX_LENGTH = 1000;

export const RATINGS = ["up", "down"] as const;
export type Rating = (typeof RATINGS)[number];

/** POST or PUT /api/chats/{id}/messages/{messageId}/feedback. An empty comment is no comment. */
export const feedbackSchema = z.strictObject({
  rating: z.enum(RATINGS),
  comment: z.string().trim().max(FEEDBACK_COMMENT_MAX_LENGTH).optional(),
});

export const feedbackParamsSchema = z.object({ id: idSchema, messageId: idSchema });
