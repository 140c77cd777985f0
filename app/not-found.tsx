import Link from "next/link";
import { buttonClasses } from "@/components/ui/button";

// Rendered inside the chat layout (whose <main> it joins) for a chat that is not the viewer's.
export default function NotFound() {
  return (
    <div className="flex flex-col items-center gap-3 px-6 py-[15vh] text-center">
      <p className="text-sm font-medium text-muted-foreground">404</p>
      <h1 className="text-2xl font-semibold tracking-tight">We couldn&rsquo;t find that chat</h1>
      <p className="max-w-sm text-sm text-muted-foreground">
        It may have been deleted, or it belongs to another account. If you chatted as a guest on another device, sign in
        there to keep your chats.
      </p>
      <Link href="/" className={buttonClasses({ variant: "primary", className: "mt-2" })}>
        Start a new chat
      </Link>
    </div>
  );
}
