/**
 * Custom instructions: a signed-in account's named presets (one of them its default) and each
 * chat's choice among them. They are account settings, kept in Postgres only. The chosen text is
 * read when a message is accepted and travels with its reply job (ReplyJob.instructions), so the
 * reply, its token estimate and its reply-cache key all see the instructions the message was sent
 * under. Guests have no account to keep settings in: every function here refuses them
 * (403 account_required), and their messages are sent without instructions.
 */
import { randomUUID } from "node:crypto";
import type { Database } from "@/lib/db/client";
import * as chatsDb from "@/lib/db/chats";
import { AppError, isDatabaseUnreachable, notFound } from "@/lib/errors";
import type { HotStore } from "@/lib/hot/hot-store";
import { logger } from "@/lib/log";
import { INSTRUCTION_LIMITS } from "./limits";

export interface InstructionPreset {
  id: string;
  name: string;
  text: string;
  isDefault: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A chat's choice ("default": whatever preset is the user's default then) and the preset it comes to, if any. */
export interface ChatInstructions {
  choice: "default" | "none" | "preset";
  preset: Pick<InstructionPreset, "id" | "name"> | null;
}

/** Who may keep instructions: the viewer as the routes know it. */
export interface InstructionsOwner {
  userId: string;
  isGuest: boolean;
}

interface InstructionsDeps {
  db: Database;
}

const PRESET_FIELDS = { id: true, name: true, text: true, isDefault: true, createdAt: true, updatedAt: true } as const;

function requireAccount(owner: InstructionsOwner): void {
  if (owner.isGuest) {
    throw new AppError("account_required", "Custom instructions are kept with an account: sign up to use them.");
  }
}

function toPreset(row: { id: string; name: string; text: string; isDefault: boolean; createdAt: Date; updatedAt: Date }): InstructionPreset {
  return { ...row, createdAt: row.createdAt.getTime(), updatedAt: row.updatedAt.getTime() };
}

/** Postgres' unique violation: the (user, name) index, or the one-default-per-user index in a race. */
function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && (error as Error & { code?: unknown }).code === "P2002";
}

function nameTaken(name: string): AppError {
  return new AppError("preset_name_taken", `You already have instructions named "${name}".`);
}

export async function listPresets({ db }: InstructionsDeps, owner: InstructionsOwner): Promise<InstructionPreset[]> {
  requireAccount(owner);
  const rows = await db.prisma.instructionPreset.findMany({
    where: { userId: owner.userId },
    select: PRESET_FIELDS,
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return rows.map(toPreset);
}

export async function createPreset(
  { db }: InstructionsDeps,
  owner: InstructionsOwner,
  input: { name: string; text: string; isDefault?: boolean },
): Promise<InstructionPreset> {
  requireAccount(owner);
  try {
    return await db.prisma.$transaction(async (tx) => {
      // Counted in the transaction that adds one; two racing creates may both pass at the limit,
      // which costs one preset over it, not a broken account.
      const count = await tx.instructionPreset.count({ where: { userId: owner.userId } });
      if (count >= INSTRUCTION_LIMITS.maxPresets) {
        throw new AppError("too_many_presets", `You can keep at most ${INSTRUCTION_LIMITS.maxPresets} sets of instructions; delete one first.`);
      }
      if (input.isDefault) await tx.instructionPreset.updateMany({ where: { userId: owner.userId, isDefault: true }, data: { isDefault: false } });
      const row = await tx.instructionPreset.create({
        data: { id: randomUUID(), userId: owner.userId, name: input.name, text: input.text, isDefault: input.isDefault ?? false },
        select: PRESET_FIELDS,
      });
      return toPreset(row);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name);
    throw error;
  }
}

/** Another user's preset, or one that does not exist, is not_found. */
export async function updatePreset(
  { db }: InstructionsDeps,
  owner: InstructionsOwner,
  presetId: string,
  changes: { name?: string; text?: string; isDefault?: boolean },
): Promise<InstructionPreset> {
  requireAccount(owner);
  try {
    return await db.prisma.$transaction(async (tx) => {
      const found = await tx.instructionPreset.findFirst({ where: { id: presetId, userId: owner.userId }, select: { id: true } });
      if (!found) throw notFound("Instructions");
      if (changes.isDefault) {
        await tx.instructionPreset.updateMany({ where: { userId: owner.userId, isDefault: true, NOT: { id: presetId } }, data: { isDefault: false } });
      }
      return toPreset(await tx.instructionPreset.update({ where: { id: presetId }, data: changes, select: PRESET_FIELDS }));
    });
  } catch (error) {
    if (isUniqueViolation(error) && changes.name !== undefined) throw nameTaken(changes.name);
    throw error;
  }
}

/** Chats that had chosen it go back to the default (their choice goes with it). */
export async function deletePreset({ db }: InstructionsDeps, owner: InstructionsOwner, presetId: string): Promise<void> {
  requireAccount(owner);
  const { count } = await db.prisma.instructionPreset.deleteMany({ where: { id: presetId, userId: owner.userId } });
  if (count === 0) throw notFound("Instructions");
}

/**
 * The chat's owner, if anyone has it yet: a chat lives in the hot store before the flush writes
 * it to Postgres. Another user's chat is not_found; a chat nobody has started yet may be given
 * instructions before its first message.
 */
async function ensureChatIsNotOthers(deps: InstructionsDeps & { hot: HotStore }, owner: InstructionsOwner, chatId: string): Promise<void> {
  const ownerId = (await deps.hot.getChat(chatId))?.userId ?? (await chatsDb.getChatOwner(deps.db.prisma, { chatId }));
  if (ownerId !== null && ownerId !== owner.userId) throw notFound();
}

export async function getChatInstructions(
  deps: InstructionsDeps & { hot: HotStore },
  owner: InstructionsOwner,
  chatId: string,
): Promise<ChatInstructions> {
  requireAccount(owner);
  await ensureChatIsNotOthers(deps, owner, chatId);
  return readChoice(deps, owner.userId, chatId);
}

/** `preset`: "default", "none" or the id of one of the owner's presets (another's is not_found). */
export async function chooseChatInstructions(
  deps: InstructionsDeps & { hot: HotStore },
  owner: InstructionsOwner,
  chatId: string,
  preset: string,
): Promise<ChatInstructions> {
  requireAccount(owner);
  await ensureChatIsNotOthers(deps, owner, chatId);
  const { prisma } = deps.db;
  const key = { userId_chatId: { userId: owner.userId, chatId } };
  if (preset === "default") {
    await prisma.chatInstructions.deleteMany({ where: { userId: owner.userId, chatId } });
  } else {
    const presetId = preset === "none" ? null : preset;
    if (presetId !== null) {
      const mine = await prisma.instructionPreset.findFirst({ where: { id: presetId, userId: owner.userId }, select: { id: true } });
      if (!mine) throw notFound("Instructions");
    }
    await prisma.chatInstructions.upsert({ where: key, create: { userId: owner.userId, chatId, presetId }, update: { presetId } });
  }
  return readChoice(deps, owner.userId, chatId);
}

async function readChoice({ db }: InstructionsDeps, userId: string, chatId: string): Promise<ChatInstructions> {
  const { chosen, fallback } = await readChosenAndDefault(db, userId, chatId);
  if (chosen) return { choice: chosen.preset ? "preset" : "none", preset: chosen.preset && { id: chosen.preset.id, name: chosen.preset.name } };
  return { choice: "default", preset: fallback && { id: fallback.id, name: fallback.name } };
}

/** The chat's own choice (a row, its preset null for none) and the user's default preset: one round trip. */
async function readChosenAndDefault(db: Database, userId: string, chatId: string) {
  const [chosen, fallback] = await Promise.all([
    db.prisma.chatInstructions.findUnique({
      where: { userId_chatId: { userId, chatId } },
      select: { preset: { select: { id: true, name: true, text: true } } },
    }),
    db.prisma.instructionPreset.findFirst({ where: { userId, isDefault: true }, select: { id: true, name: true, text: true } }),
  ]);
  return { chosen, fallback };
}

/**
 * The instructions a message in this chat is sent with, read when it is accepted: the chat's
 * choice, else the sender's default; none for guests (no read at all). With Postgres unreachable
 * the message goes without them rather than not at all, as chatting itself goes on then.
 */
export async function instructionsForMessage(
  { db }: InstructionsDeps,
  sender: { userId: string; tier: string },
  chatId: string,
): Promise<string | undefined> {
  if (sender.tier === "guest") return undefined;
  try {
    const { chosen, fallback } = await readChosenAndDefault(db, sender.userId, chatId);
    return (chosen ? chosen.preset?.text : fallback?.text) ?? undefined;
  } catch (error) {
    if (!isDatabaseUnreachable(error)) throw error;
    logger.warn({ chatId, userId: sender.userId }, "database unreachable: message sent without its custom instructions");
    return undefined;
  }
}
