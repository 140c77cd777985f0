import type { ApiProblem } from "@/components/chat/chat-api";

/** An admin API failure: what went wrong and the request id to find it in the logs. */
export function ProblemNotice({ problem, className = "" }: { problem: ApiProblem; className?: string }) {
  return (
    <div role="alert" data-testid="admin-problem" className={`rounded-lg border border-danger/40 bg-danger-muted px-3 py-2 text-sm ${className}`}>
      <p>{problem.message}</p>
      {problem.requestId && <p className="mt-1 text-xs break-all text-muted-foreground">Request ID: {problem.requestId}</p>}
    </div>
  );
}
