/** Request shapes of the admin APIs, validated at the edge of each route (and again by the domain). */
import { z } from "zod";
import { idSchema } from "@/lib/chat/schemas";
import { PLANS } from "@/lib/domain";
import { decodeAuditCursor } from "./audit-cursor";

export const USER_ROLES = ["user", "admin"] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** better-auth's ids and the app's: letters, digits, '-' and '_'. */
export const userIdSchema = idSchema;

export const listUsersQuerySchema = z.strictObject({
  q: z.string().trim().max(200).optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  /** Guest sessions are users too, and there are many: listed only when asked ("1"). */
  guests: z.enum(["0", "1"]).default("0").transform((value) => value === "1"),
});

/** A user's own budget in US dollars, to the cent; null gives them their plan's again. */
const budgetUsdSchema = z
  .number()
  .min(0)
  .max(1_000_000)
  .refine((dollars) => Number.isInteger(Math.round(dollars * 100 * 1e6) / 1e6), { message: "expected whole cents" })
  .nullable()
  .optional();

export const updateUserSchema = z
  .strictObject({
    tier: z.enum(PLANS).optional(),
    role: z.enum(USER_ROLES).optional(),
    dailyBudgetUsd: budgetUsdSchema,
    monthlyBudgetUsd: budgetUsdSchema,
  })
  .refine((change) => Object.values(change).some((value) => value !== undefined), {
    message: "expected a tier, a role or a budget",
  });

export const banUserSchema = z.strictObject({
  reason: z.string().trim().max(500).optional(),
});

/** Exactly one of: a chat id, or a user (email or id) whose chats to list. */
export const chatLookupQuerySchema = z.union([
  z.strictObject({ chatId: idSchema }),
  z.strictObject({ user: z.string().trim().min(1).max(320) }),
]);

export const auditQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z
    .string()
    .max(200)
    .refine((cursor) => decodeAuditCursor(cursor) !== null, { message: "expected the nextCursor of a previous page" })
    .optional(),
  targetId: z.string().max(320).optional(),
});
