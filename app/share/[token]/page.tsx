// /share/{token}: a shared chat, read-only, for anyone with the link. Rendered on the server once
// and kept (incremental static regeneration): lib/shares/shared-page-cache.ts says for how long and
// how a revoked link stops being served. Reads no session, so every reader gets the same page.
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { cache } from "react";
import { Markdown } from "@/components/chat/markdown";
import { buttonClasses } from "@/components/ui/button";
import { AppError } from "@/lib/errors";
import { readSharedChat, type SharedChat } from "@/lib/shares/chat-shares";
import { getServices } from "@/lib/services";

/** SHARED_PAGE_MAX_AGE_SECONDS (lib/shares/shared-page-cache.ts): Next needs a literal here. */
export const revalidate = 30;
/**
 * Rendered as one page for every reader, kept and revalidated. Forced: the root boundaries
 * (app/forbidden.tsx reads the session for a suspended account) would otherwise make every
 * request render it anew; here they see no request headers, as a shared page should.
 */
export const dynamic = "force-static";

/** No link is known at build time: each is rendered on its first visit, then kept. */
export function generateStaticParams(): { token: string }[] {
  return [];
}

const DESCRIPTION_LENGTH = 160;

/** One read for the metadata and the page of a request. */
const loadShare = cache(async (token: string): Promise<SharedChat> => {
  try {
    return await readSharedChat(await getServices(), token);
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  }
});

function textOf(message: SharedChat["messages"][number]): string {
  return message.parts.map((part) => part.text).join("\n\n");
}

export async function generateMetadata({ params }: { params: Promise<{ token: string }> }): Promise<Metadata> {
  const shared = await loadShare((await params).token);
  const first = shared.messages.find((message) => message.role === "user");
  const flat = first ? textOf(first).replace(/\s+/g, " ").trim() : "";
  const description = flat.length > DESCRIPTION_LENGTH ? `${flat.slice(0, DESCRIPTION_LENGTH - 1)}…` : flat;
  return {
    title: shared.title,
    description,
    // Shared with whoever has the link, not published to search engines.
    robots: { index: false, follow: false },
    openGraph: { title: shared.title, description, type: "article", siteName: "Stampede" },
    twitter: { card: "summary", title: shared.title, description },
  };
}

export default async function SharedChatPage({ params }: { params: Promise<{ token: string }> }) {
  const shared = await loadShare((await params).token);
  const sharedOn = new Date(shared.sharedAt).toLocaleDateString("en", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
  return (
    <main id="main" className="mx-auto flex min-h-dvh w-full max-w-3xl flex-col gap-6 px-4 py-8">
      <header className="flex flex-col gap-1 border-b border-border pb-4">
        <p className="text-xs font-medium text-muted-foreground">Shared chat · read-only</p>
        <h1 className="text-2xl font-semibold tracking-tight" data-testid="shared-title">
          {shared.title}
        </h1>
        <p className="text-sm text-muted-foreground" data-testid="shared-byline">
          Shared by {shared.ownerName} on {sharedOn}
        </p>
      </header>
      <ol className="flex flex-col gap-6" aria-label="Messages">
        {shared.messages.map((message, index) =>
          message.role === "user" ? (
            <li key={index} data-testid="shared-message-user" aria-label="Message" className="ml-auto max-w-[85%] rounded-2xl bg-muted px-4 py-2.5 whitespace-pre-wrap break-words">
              {textOf(message)}
            </li>
          ) : (
            <li key={index} data-testid="shared-message-assistant" aria-label="Reply" className="min-w-0">
              <Markdown text={textOf(message)} isStreaming={false} />
            </li>
          ),
        )}
      </ol>
      <footer className="flex flex-col items-center gap-2 border-t border-border pt-6 text-center">
        <p className="text-sm text-muted-foreground">This is a copy of the chat as it was shared. Replies here are not possible.</p>
        <Link href="/" className={buttonClasses({ variant: "primary" })}>
          Start your own chat
        </Link>
      </footer>
    </main>
  );
}
