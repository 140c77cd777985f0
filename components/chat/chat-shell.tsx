"use client";

import { usePathname } from "next/navigation";
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import type { ModelInfo } from "@/lib/ai/models";
import { AccountContext, type AccountSummary } from "./account-status";
import { ChatListProvider } from "./chat-list-context";
import { ModelChoiceProvider } from "./model-choice";
import { Sidebar } from "./sidebar";
import { TopBar } from "./top-bar";

/** Sidebar beside the chat from 768 px up; below that, a drawer opened from the top bar. */
/** A chat's page: the chat it shows can be shared from the top bar. */
const CHAT_PATH = /^\/chat\/([A-Za-z0-9_-]+)$/;

export function ChatShell({
  account,
  models,
  children,
}: {
  account: AccountSummary;
  models: ModelInfo[];
  children: ReactNode;
}) {
  const sidebarId = useId();
  const sidebarRef = useRef<HTMLElement>(null);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const pathname = usePathname();
  const [isSidebarOpen, setIsSidebarOpen] = useState(false);
  const [pathnameShown, setPathnameShown] = useState(pathname);
  if (pathname !== pathnameShown) {
    setPathnameShown(pathname);
    setIsSidebarOpen(false);
  }

  useEffect(() => {
    if (!isSidebarOpen) return;
    sidebarRef.current?.querySelector<HTMLElement>("a[href], button, input")?.focus();
    const closeOnEscape = (event: KeyboardEvent) => {
      // An Escape something inside already used (cancelling a rename in the list) is not for the drawer.
      if (event.key === "Escape" && !event.defaultPrevented) setIsSidebarOpen(false);
    };
    document.addEventListener("keydown", closeOnEscape);
    return () => {
      document.removeEventListener("keydown", closeOnEscape);
      // Runs once the drawer has closed and the page is no longer inert: focus goes back where it came from.
      const active = document.activeElement;
      if (active === document.body || sidebarRef.current?.contains(active)) toggleRef.current?.focus();
    };
  }, [isSidebarOpen]);

  useEffect(() => {
    const wide = window.matchMedia("(min-width: 768px)");
    const closeWhenWide = () => {
      if (wide.matches) setIsSidebarOpen(false);
    };
    wide.addEventListener("change", closeWhenWide);
    return () => wide.removeEventListener("change", closeWhenWide);
  }, []);

  const closeSidebar = () => setIsSidebarOpen(false);

  return (
    <AccountContext value={account}>
      <ModelChoiceProvider models={models}>
        <ChatListProvider>
          <div className="flex h-dvh overflow-hidden">
            {isSidebarOpen && (
              <div aria-hidden="true" className="fixed inset-0 z-30 bg-black/40 md:hidden" onClick={closeSidebar} />
            )}
            <aside
              id={sidebarId}
              ref={sidebarRef}
              // Hidden (so unfocusable) only once it has slid out; shown at once when opening, so focus can move in.
              className={`fixed inset-y-0 left-0 z-40 w-72 max-w-[85vw] border-r border-border bg-sidebar duration-200 md:visible md:static md:z-auto md:translate-x-0 ${
                isSidebarOpen ? "visible translate-x-0 transition-[translate]" : "invisible -translate-x-full transition-[translate,visibility]"
              }`}
            >
              <Sidebar onNavigate={closeSidebar} onClose={closeSidebar} />
            </aside>
            {/* While the drawer covers it, the rest of the page is out of reach of Tab and screen readers. */}
            <div className="flex min-w-0 flex-1 flex-col" inert={isSidebarOpen}>
              <TopBar
                account={account}
                isSidebarOpen={isSidebarOpen}
                onToggleSidebar={() => setIsSidebarOpen((open) => !open)}
                sidebarId={sidebarId}
                toggleRef={toggleRef}
                chatId={CHAT_PATH.exec(pathname)?.[1]}
              />
              <main id="main" tabIndex={-1} className="min-h-0 flex-1 focus:outline-none">
                {children}
              </main>
            </div>
          </div>
        </ChatListProvider>
      </ModelChoiceProvider>
    </AccountContext>
  );
}
