import type { Metadata } from "next";
import { ChatSupport } from "@/components/admin/chat-support";
import { requireAdminPage } from "../admin-access";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Chats" };

export default async function AdminChatsPage() {
  await requireAdminPage();
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Chats</h1>
      <ChatSupport />
    </>
  );
}
