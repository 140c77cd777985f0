/**
 * A user's own copy of their data: every chat they have, read the way the app reads it (Postgres
 * and the hot store stitched, so a message sent a moment ago is in it), in one zip archive:
 * `chats.json` for machines, with every version of each turn (each message names the one it
 * follows), and one Markdown file per chat for people, with the versions the chat shows.
 */
import { strToU8, zipSync, type Zippable } from "fflate";
import type { Viewer } from "@/lib/auth/viewer";
import { getChatMessages, listChats } from "@/lib/history/history";
import { shownBranch, withExplicitParents } from "@/lib/history/versions";
import { messageText, type ChatUIMessage } from "@/lib/domain";
import type { Database } from "@/lib/db/client";
import type { ChatMeta, StoredMessage } from "@/lib/domain";
import type { HotStore } from "@/lib/hot/hot-store";

export interface ChatExport {
  /** What the browser saves it as, e.g. `stampede-chats-2026-12-04.zip`. */
  fileName: string;
  archive: Uint8Array<ArrayBuffer>;
}

/** Chats read per page of the listing; the export walks all pages. */
const PAGE_SIZE = 100;

export async function exportChats(
  deps: { db: Database; hot: HotStore },
  viewer: Pick<Viewer, "userId" | "email" | "name">,
  now = new Date(),
): Promise<ChatExport> {
  const chats: { chat: ChatMeta; messages: StoredMessage[] }[] = [];
  let before: number | undefined;
  do {
    const page = await listChats(deps, { userId: viewer.userId, limit: PAGE_SIZE, before });
    for (const chat of page.chats) chats.push(await getChatMessages(deps, { chatId: chat.id, userId: viewer.userId }));
    before = page.nextBefore;
  } while (before !== undefined);

  const day = now.toISOString().slice(0, 10);
  const folder = `stampede-chats-${day}`;
  const files: Zippable = {
    [`${folder}/chats.json`]: strToU8(
      JSON.stringify(
        {
          exportedAt: now.toISOString(),
          account: { id: viewer.userId, email: viewer.email, name: viewer.name },
          chats: chats.map(({ chat, messages }) => ({
            id: chat.id,
            title: chat.title,
            createdAt: new Date(chat.createdAt).toISOString(),
            updatedAt: new Date(chat.updatedAt).toISOString(),
            ...(chat.selectedMessageId && { selectedMessageId: chat.selectedMessageId }),
            messages: withExplicitParents(messages).map((message) => ({
              id: message.id,
              parentId: message.parentId,
              role: message.role,
              createdAt: new Date(message.createdAt).toISOString(),
              text: textOf(message),
              ...(message.model && { model: message.model }),
              ...(message.status && { status: message.status }),
              parts: message.parts,
            })),
          })),
        },
        null,
        2,
      ),
    ),
  };
  for (const { chat, messages } of chats) {
    files[`${folder}/chats/${markdownFileName(chat)}`] = strToU8(chatMarkdown(chat, shownBranch(messages, chat.selectedMessageId)));
  }
  // fflate allocates its output as a plain ArrayBuffer, which a Response body takes.
  const archive = zipSync(files, { level: 6, mtime: now }) as Uint8Array<ArrayBuffer>;
  return { fileName: `${folder}.zip`, archive };
}

function textOf(message: StoredMessage): string {
  return messageText({ parts: message.parts as ChatUIMessage["parts"] });
}

/** `2026-12-04-how-to-bake-bread-c_abc123.md`: sorted by day, readable, and unique by the chat id. */
function markdownFileName(chat: ChatMeta): string {
  const slug = chat.title
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 50)
    .replace(/-+$/, "");
  const day = new Date(chat.createdAt).toISOString().slice(0, 10);
  return `${[day, slug, chat.id].filter(Boolean).join("-")}.md`;
}

const SPEAKER: Record<StoredMessage["role"], string> = { user: "You", assistant: "Assistant", system: "System" };

function chatMarkdown(chat: ChatMeta, messages: StoredMessage[]): string {
  const lines = [`# ${chat.title || "Untitled chat"}`, "", `Started ${new Date(chat.createdAt).toISOString()}`, ""];
  for (const message of messages) {
    const about = [new Date(message.createdAt).toISOString(), message.model, message.status].filter(Boolean).join(" · ");
    lines.push(`## ${SPEAKER[message.role]} (${about})`, "", textOf(message), "");
  }
  return lines.join("\n");
}
