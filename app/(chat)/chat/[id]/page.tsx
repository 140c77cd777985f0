import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { cache } from "react";
import { ChatView } from "@/components/chat/chat-view";
import { toUIMessage } from "@/lib/history/history";
import { getChatWithReplyInProgress } from "@/lib/replies/active-reply";
import { idSchema } from "@/lib/chat/schemas";
import { AppError } from "@/lib/errors";
import { getServices } from "@/lib/services";
import { loadViewer } from "../../load-viewer";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ id: string }> };

/** The chat and its messages if the viewer owns it; null when there is no session yet. */
const loadChat = cache(async (chatId: string) => {
  if (!idSchema.safeParse(chatId).success) notFound();
  const viewer = await loadViewer();
  if (!viewer) return null;
  try {
    return await getChatWithReplyInProgress(await getServices(), { chatId, userId: viewer.userId });
  } catch (error) {
    // Someone else's chat is reported exactly like a missing one.
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  }
});

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const loaded = await loadChat((await params).id);
  return { title: loaded?.chat.title || "Chat" };
}

export default async function ChatPage({ params }: Props) {
  const loaded = await loadChat((await params).id);
  // Without a session the layout starts a guest one and refreshes this page.
  if (!loaded) return null;
  return (
    <ChatView
      chatId={loaded.chat.id}
      title={loaded.chat.title || "Chat"}
      initialMessages={loaded.messages.map(toUIMessage)}
      isNew={false}
    />
  );
}
