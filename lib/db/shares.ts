/**
 * Chat shares in the database (lib/shares/chat-shares.ts): read-only snapshots of chats at
 * unguessable tokens. Every change takes the owner's id and checks it in the same query.
 *
 * Server-only.
 */
import type { Prisma, PrismaClient } from "../generated/prisma/client";

export interface ShareSnapshot {
  title: string;
  /** What the chat showed: role and text parts, nothing that names a message. */
  messages: { role: "user" | "assistant"; parts: { type: "text"; text: string }[] }[];
}

export interface ShareRow extends ShareSnapshot {
  token: string;
  chatId: string;
  createdAt: number;
}

/**
 * Makes `snapshot` the chat's one share at `token`, replacing any before it; answers the token it
 * replaced, if any. The owner's chat id cannot be taken by another user's share: ids name one chat
 * across Stampede, and the caller checked the chat is the owner's.
 */
export async function replaceShare(
  prisma: PrismaClient,
  { chatId, userId, token, snapshot, createdAt }: { chatId: string; userId: string; token: string; snapshot: ShareSnapshot; createdAt: number },
): Promise<string | null> {
  return prisma.$transaction(async (tx) => {
    const previous = await tx.chatShare.findFirst({ where: { chatId, userId }, select: { token: true } });
    await tx.chatShare.deleteMany({ where: { chatId, userId } });
    await tx.chatShare.create({
      data: {
        token,
        chatId,
        userId,
        title: snapshot.title,
        messages: snapshot.messages as unknown as Prisma.InputJsonValue,
        createdAt: new Date(createdAt),
      },
    });
    return previous?.token ?? null;
  });
}

/** The user's share of the chat, or null. */
export async function findShareOfChat(prisma: PrismaClient, { chatId, userId }: { chatId: string; userId: string }): Promise<ShareRow | null> {
  const row = await prisma.chatShare.findFirst({ where: { chatId, userId } });
  return row && toShareRow(row);
}

/** Deletes the user's share of the chat; answers its token, or null when there was none. */
export async function deleteShareOfChat(prisma: PrismaClient, { chatId, userId }: { chatId: string; userId: string }): Promise<string | null> {
  return prisma.$transaction(async (tx) => {
    const share = await tx.chatShare.findFirst({ where: { chatId, userId }, select: { token: true } });
    if (share) await tx.chatShare.deleteMany({ where: { token: share.token } });
    return share?.token ?? null;
  });
}

/** A share by its token, with its owner's account name and whether the owner is a guest. */
export async function findShareByToken(
  prisma: PrismaClient,
  token: string,
): Promise<(ShareRow & { owner: { name: string; email: string; isGuest: boolean } }) | null> {
  const row = await prisma.chatShare.findUnique({
    where: { token },
    include: { user: { select: { name: true, email: true, isAnonymous: true } } },
  });
  return (
    row && { ...toShareRow(row), owner: { name: row.user.name, email: row.user.email, isGuest: Boolean(row.user.isAnonymous) } }
  );
}

function toShareRow(row: { token: string; chatId: string; title: string; messages: Prisma.JsonValue; createdAt: Date }): ShareRow {
  return {
    token: row.token,
    chatId: row.chatId,
    title: row.title,
    messages: row.messages as unknown as ShareRow["messages"],
    createdAt: row.createdAt.getTime(),
  };
}
