/**
 * Share links: the owner of a chat makes it public as a read-only snapshot, the messages the chat
 * shows at that moment (its selected versions, lib/history/versions.ts), at an unguessable link
 * `/share/<token>` (128 random bits, base64url). Anyone with the link can read it, signed in or
 * not; nobody can write through it. Sharing again replaces the snapshot and the link (the old link
 * answers 404 from then on), and revoking deletes both.
 *
 * What a reader gets is the snapshot and nothing that leads elsewhere: the title, the text of each
 * message and its role, when it was shared, and the owner's display name (their account's name,
 * never their address or id). No message or chat ids, no other chats.
 *
 * Only accounts share: a guest's chats are deleted when the guest is purged, which would break the
 * link without its owner ever having been told it could (403 account_required, with a prompt to
 * sign up in the app).
 */
import { randomBytes } from "node:crypto";
import type { AppConfig } from "@/lib/config";
import * as sharesDb from "@/lib/db/shares";
import type { Database } from "@/lib/db/client";
import type { ChatUIMessage } from "@/lib/domain";
import { AppError, notFound } from "@/lib/errors";
import { findChatForUser, getShownChat } from "@/lib/history/history";
import type { HotStore } from "@/lib/hot/hot-store";

interface ShareDeps {
  db: Database;
  hot: HotStore;
  config: Pick<AppConfig, "chat">;
}

/** Who asks to share: only accounts may. */
interface Sharer {
  userId: string;
  isGuest: boolean;
}

/** What the owner sees of a chat's share. */
export type ShareStatus =
  | { shared: false }
  | {
      shared: true;
      /** The page's path, `/share/<token>`: the client makes it absolute. */
      path: string;
      token: string;
      /** Who can read it. */
      audience: "anyone-with-the-link";
      sharedAt: number;
      /** The snapshot's title and how many messages it holds. */
      title: string;
      messageCount: number;
    };

/** What anyone with the link reads. */
export interface SharedChat {
  title: string;
  /** The owner's account name, or "A Stampede user" when it has none worth showing. */
  ownerName: string;
  sharedAt: number;
  messages: sharesDb.ShareSnapshot["messages"];
}

/** A share token: 16 random bytes in base64url, 22 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}$/;
export const ANONYMOUS_OWNER = "A Stampede user";

export function sharePath(token: string): string {
  return `/share/${token}`;
}

/**
 * Shares the chat as it shows now, replacing any earlier share of it. Answers the new status and
 * the token it replaced (whose cached page the caller lets go). 404 for a chat that is not the
 * sharer's, 403 account_required for a guest.
 */
export async function shareChat(
  deps: ShareDeps,
  { chatId, sharer }: { chatId: string; sharer: Sharer },
): Promise<{ status: ShareStatus; replacedToken: string | null }> {
  const { chat, messages } = await getShownChat(deps, { chatId, userId: sharer.userId });
  if (sharer.isGuest) throw new AppError("account_required", "Create an account to share chats: a guest's chats are deleted after a while.");
  const snapshot: sharesDb.ShareSnapshot = {
    title: chat.title,
    messages: messages.flatMap((message) => {
      if (message.role === "system") return [];
      const parts = (message.parts as ChatUIMessage["parts"]).flatMap((part) =>
        part.type === "text" && part.text ? [{ type: "text" as const, text: part.text }] : [],
      );
      return parts.length > 0 ? [{ role: message.role, parts }] : [];
    }),
  };
  const token = randomBytes(16).toString("base64url");
  const createdAt = Date.now();
  const replacedToken = await sharesDb.replaceShare(deps.db.prisma, { chatId, userId: sharer.userId, token, snapshot, createdAt });
  return { status: statusOf({ token, chatId, createdAt, ...snapshot }), replacedToken };
}

/** The chat's share as its owner sees it; 404 for a chat that is not theirs. */
export async function readShareStatus(deps: ShareDeps, { chatId, userId }: { chatId: string; userId: string }): Promise<ShareStatus> {
  await ownChat(deps, { chatId, userId });
  const share = await sharesDb.findShareOfChat(deps.db.prisma, { chatId, userId });
  return share ? statusOf(share) : { shared: false };
}

/**
 * Revokes the chat's share, if it has one: its link answers 404 from now on. Answers the revoked
 * token (null when the chat was not shared); 404 for a chat that is not the caller's.
 */
export async function revokeShare(deps: ShareDeps, { chatId, userId }: { chatId: string; userId: string }): Promise<string | null> {
  await ownChat(deps, { chatId, userId });
  return sharesDb.deleteShareOfChat(deps.db.prisma, { chatId, userId });
}

/** The shared chat behind a link; 404 for a token that is malformed, revoked or never was. */
export async function readSharedChat(deps: Pick<ShareDeps, "db">, token: string): Promise<SharedChat> {
  const share = TOKEN_PATTERN.test(token) ? await sharesDb.findShareByToken(deps.db.prisma, token) : null;
  if (!share) throw notFound("Shared chat");
  return { title: share.title, ownerName: displayName(share.owner), sharedAt: share.createdAt, messages: share.messages };
}

/** An account's name as a reader may see it: never an address, never a guest's placeholder. */
export function displayName(owner: { name: string; email: string; isGuest: boolean }): string {
  const name = owner.name.trim();
  if (owner.isGuest || !name || name.includes("@") || name.toLowerCase() === owner.email.toLowerCase()) return ANONYMOUS_OWNER;
  return name;
}

async function ownChat(deps: ShareDeps, params: { chatId: string; userId: string }): Promise<void> {
  if (!(await findChatForUser(deps, params))) throw notFound();
}

function statusOf(share: sharesDb.ShareRow): ShareStatus {
  return {
    shared: true,
    path: sharePath(share.token),
    token: share.token,
    audience: "anyone-with-the-link",
    sharedAt: share.createdAt,
    title: share.title,
    messageCount: share.messages.length,
  };
}
