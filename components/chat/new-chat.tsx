"use client";

import { generateId } from "ai";
import { usePathname } from "next/navigation";
import { useState } from "react";
import { ChatView } from "./chat-view";

/**
 * A chat that does not exist yet; its id is made here, in the browser. After the first send the
 * address becomes /chat/{id} while this stays mounted, so returning to "/" (New chat) must start
 * a fresh chat even if the router reuses this component.
 */
export function NewChat() {
  const pathname = usePathname();
  const [chatId, setChatId] = useState(() => generateId());
  const [pathnameShown, setPathnameShown] = useState(pathname);
  if (pathname !== pathnameShown) {
    setPathnameShown(pathname);
    if (pathname === "/") setChatId(generateId());
  }
  return <ChatView key={chatId} chatId={chatId} title="New chat" initialMessages={[]} isNew />;
}
