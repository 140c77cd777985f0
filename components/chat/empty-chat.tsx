import { buttonClasses } from "@/components/ui/button";

/** Openers that show what the chat does well: one tap sends them. */
export const SUGGESTED_PROMPTS = [
  "Explain how a rate limiter works, with a table",
  "Write a TypeScript function that retries a fetch",
  "Plan a three-day trip to Lisbon as a list",
  "Summarise the pros and cons of serverless",
] as const;

export function EmptyChat({ canPick, onPick }: { canPick: boolean; onPick: (prompt: string) => void }) {
  return (
    <div className="flex flex-col items-center gap-6 pt-[10vh] text-center">
      <div className="flex flex-col items-center gap-2">
        {/* The app's mark, decorative: the heading says what it is. */}
        <img src="/icon.svg" alt="" width={48} height={48} className="rounded-xl" />
        <h2 className="text-2xl font-semibold tracking-tight">What can I help with?</h2>
        <p className="max-w-md text-sm text-muted-foreground">
          Ask anything. Replies appear as they are written, and your chats are kept in the sidebar.
        </p>
      </div>
      <ul aria-label="Suggested prompts" className="grid w-full max-w-xl gap-2 sm:grid-cols-2">
        {SUGGESTED_PROMPTS.map((prompt) => (
          <li key={prompt}>
            <button
              type="button"
              data-testid="suggested-prompt"
              disabled={!canPick}
              onClick={() => onPick(prompt)}
              className={buttonClasses({ variant: "secondary", className: "h-auto min-h-11 w-full justify-start px-4 py-3 text-left whitespace-normal" })}
            >
              {prompt}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
