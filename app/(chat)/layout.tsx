import type { ReactNode } from "react";
import { ChatShell } from "@/components/chat/chat-shell";
import { GuestSession } from "@/components/chat/start-guest-session";
import { ServiceWorkerRegistration } from "@/components/pwa/service-worker-registration";
import { getServices } from "@/lib/services";
import { loadViewer } from "./load-viewer";

export const dynamic = "force-dynamic";

export default async function ChatLayout({ children }: { children: ReactNode }) {
  const [services, viewer] = await Promise.all([getServices(), loadViewer()]);
  // A first visit renders the chat at once, as a guest's, while GuestSession starts the session.
  const account = viewer ? { email: viewer.email, isGuest: viewer.isGuest, isAdmin: viewer.role === "admin" } : { email: "", isGuest: true };
  return (
    <GuestSession needed={!viewer}>
      <ServiceWorkerRegistration enabled={services.config.env === "production"} />
      {/* Keyed by user, so nothing one account saw survives into another's session. */}
      <ChatShell key={viewer?.userId ?? "new-guest"} account={account} models={services.models.models}>
        {children}
      </ChatShell>
    </GuestSession>
  );
}
