import type { Metadata } from "next";
import { ChatSupport } from "@/components/admin/chat-support";
import { idSchema } from "@/lib/chat/schemas";
import { requireAdminPage } from "../admin-access";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Chats" };

export default async function AdminChatsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireAdminPage();
  // A chat to open at once (the feedback summary links here); anything that is not an id is ignored.
  const parsed = idSchema.safeParse((await searchParams).chatId);
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Chats</h1>
      <ChatSupport initialChatId={parsed.success ? parsed.data : undefined} />
    </>
  );
}
