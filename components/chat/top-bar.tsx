import type { Ref } from "react";
import { Button } from "@/components/ui/button";
import { ReplyNotificationsToggle } from "@/components/pwa/reply-notifications-toggle";
import { MenuIcon } from "@/components/ui/icons";
import { ThemeToggle } from "@/components/ui/theme-toggle";
import { AccountStatus, type AccountSummary } from "./account-status";
import { ModelPicker } from "./model-picker";
import { ShareButton } from "./share-dialog";

export function TopBar({
  account,
  isSidebarOpen,
  onToggleSidebar,
  sidebarId,
  toggleRef,
  chatId,
}: {
  account: AccountSummary;
  /** The chat in view, if any: it can be shared. */
  chatId?: string;
  isSidebarOpen: boolean;
  onToggleSidebar: () => void;
  sidebarId: string;
  toggleRef: Ref<HTMLButtonElement>;
}) {
  return (
    <header className="flex h-14 shrink-0 items-center gap-2 border-b border-border px-3">
      <Button
        ref={toggleRef}
        variant="ghost"
        size="icon"
        className="md:hidden"
        aria-label="Chat list"
        aria-expanded={isSidebarOpen}
        aria-controls={sidebarId}
        onClick={onToggleSidebar}
      >
        <MenuIcon />
      </Button>
      <ModelPicker />
      <div className="ml-auto flex min-w-0 items-center gap-1">
        {chatId && <ShareButton key={chatId} chatId={chatId} isGuest={account.isGuest} />}
        <AccountStatus account={account} />
        <ReplyNotificationsToggle />
        <ThemeToggle />
      </div>
    </header>
  );
}
