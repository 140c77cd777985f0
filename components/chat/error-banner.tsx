import Link from "next/link";
import { usePathname } from "next/navigation";
import { Button } from "@/components/ui/button";
import { CloseIcon } from "@/components/ui/icons";
import { authPageHref } from "@/lib/auth/return-to";
import type { ApiProblem } from "./chat-api";

/** Everyday limits: nothing went wrong, so no request id; a guest is invited to sign up. */
const LIMIT_CODES = new Set(["rate_limited", "quota_exceeded", "budget_exceeded"]);

export function ErrorBanner({
  problem,
  secondsUntilRetry,
  isGuest,
  onDismiss,
}: {
  problem: ApiProblem;
  secondsUntilRetry: number;
  isGuest: boolean;
  onDismiss: () => void;
}) {
  const isLimit = problem.code !== undefined && LIMIT_CODES.has(problem.code);
  const pathname = usePathname();
  return (
    <div
      role="alert"
      data-testid="error-banner"
      className="flex items-start gap-3 rounded-lg border border-danger/40 bg-danger-muted px-3 py-2 text-sm"
    >
      <div className="min-w-0 flex-1">
        <p>{problem.message}</p>
        {secondsUntilRetry > 0 && (
          <p className="font-medium" data-testid="retry-countdown">
            You can send again in {formatWait(secondsUntilRetry)}.
          </p>
        )}
        {isLimit && isGuest && (
          <p className="mt-1">
            <Link href={authPageHref("/sign-up", pathname)} className="font-medium underline underline-offset-2" data-testid="limit-sign-up-link">
              Create a free account
            </Link>{" "}
            for a bigger allowance.
          </p>
        )}
        {problem.requestId && !isLimit && (
          <p className="mt-1 text-xs break-all text-muted-foreground">Request ID: {problem.requestId}</p>
        )}
      </div>
      {secondsUntilRetry === 0 && (
        <Button variant="ghost" size="icon" className="-my-1 -mr-2 size-8" aria-label="Dismiss" onClick={onDismiss}>
          <CloseIcon />
        </Button>
      )}
    </div>
  );
}

/** "8 s", "12 min", "5 h 3 min": a wait as it counts down, in the unit that makes it readable. */
function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
