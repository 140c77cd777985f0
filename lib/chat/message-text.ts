import type { ChatUIMessage } from "@/lib/domain";

/** The readable text of a message: its text parts, in order. */
export function messageText(message: Pick<ChatUIMessage, "parts">): string {
  return message.parts
    .flatMap((part) => (part.type === "text" ? [part.text] : []))
    .join("\n\n");
}
