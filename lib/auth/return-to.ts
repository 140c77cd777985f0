/**
 * Where the sign-in and sign-up pages send a person afterwards: back to the chat they came from
 * (`?next=/chat/<id>`), so a guest who signs up lands in the chat they were in, now theirs. Only
 * chat pages are accepted, never another origin or any other path a crafted link could name.
 */
import { idSchema } from "@/lib/chat/schemas";

const CHAT_PATH = /^\/chat\/([^/?#]+)$/;

export function returnPathFrom(next: unknown): string {
  if (typeof next !== "string") return "/";
  const chatId = CHAT_PATH.exec(next)?.[1];
  return chatId !== undefined && idSchema.safeParse(chatId).success ? next : "/";
}

/** The address of the sign-in or sign-up page that returns to `pathname` afterwards. */
export function authPageHref(page: "/sign-in" | "/sign-up", pathname: string): string {
  const back = returnPathFrom(pathname);
  return back === "/" ? page : `${page}?next=${encodeURIComponent(back)}`;
}
