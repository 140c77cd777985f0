import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Offline" };

/** What the installed app shows when a page cannot be loaded (public/sw.js serves it from its cache). */
export default function OfflinePage() {
  return (
    <main id="main" className="grid min-h-dvh place-items-center p-6">
      <div className="flex max-w-sm flex-col items-center gap-3 text-center">
        <img src="/icon.svg" alt="" width={64} height={64} className="rounded-xl" />
        <h1 className="text-xl font-semibold">You are offline</h1>
        <p className="text-sm text-muted-foreground">
          Stampede needs the network to load your chats. A draft you were typing is kept on this device; try again once you
          are back online.
        </p>
        <Link href="/" className="rounded-md bg-primary px-4 py-2.5 text-sm font-medium text-primary-foreground">
          Try again
        </Link>
      </div>
    </main>
  );
}
