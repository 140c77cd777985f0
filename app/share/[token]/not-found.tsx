import Link from "next/link";
import { buttonClasses } from "@/components/ui/button";

// A share link that was revoked, replaced by a newer share, or never existed.
export default function SharedChatNotFound() {
  return (
    <main id="main" className="flex flex-col items-center gap-3 px-6 py-[15vh] text-center">
      <p className="text-sm font-medium text-muted-foreground">404</p>
      <h1 className="text-2xl font-semibold tracking-tight">This shared chat is not available</h1>
      <p className="max-w-sm text-sm text-muted-foreground">Its owner may have stopped sharing it, or shared a newer copy at another link.</p>
      <Link href="/" className={buttonClasses({ variant: "primary", className: "mt-2" })}>
        Start your own chat
      </Link>
    </main>
  );
}
