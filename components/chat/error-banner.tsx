import { Button } from "@/components/ui/button";
import { CloseIcon } from "@/components/ui/icons";
import type { ApiProblem } from "./chat-api";

export function ErrorBanner({
  problem,
  secondsUntilRetry,
  onDismiss,
}: {
  problem: ApiProblem;
  secondsUntilRetry: number;
  onDismiss: () => void;
}) {
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
            You can send again in {secondsUntilRetry} s.
          </p>
        )}
        {problem.requestId && (
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
