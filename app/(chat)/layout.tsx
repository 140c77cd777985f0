import type { ReactNode } from "react";
import { ChatShell } from "@/components/chat/chat-shell";
import { StartGuestSession } from "@/components/chat/start-guest-session";
import { getServices } from "@/lib/services";
import { loadViewer } from "./load-viewer";

export const dynamic = "force-dynamic";

export default async function ChatLayout({ children }: { children: ReactNode }) {
  const [services, viewer] = await Promise.all([getServices(), loadViewer()]);
  if (!viewer) return <StartGuestSession />;
  return (
    // Keyed by user, so nothing one account saw survives into another's session.
    <ChatShell key={viewer.userId} account={{ email: viewer.email, isGuest: viewer.isGuest, isAdmin: viewer.role === "admin" }} models={services.models.models}>
      {children}
    </ChatShell>
  );
}
