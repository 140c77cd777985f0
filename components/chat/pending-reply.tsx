import { describeQueue, type QueueStatus } from "./queue-status";

/** Stands in for a reply that has no text yet: its place in line, or that it is being written. */
export function PendingReply({ queue }: { queue: QueueStatus | null }) {
  return (
    <div className="flex items-center gap-2.5 py-2 text-sm text-muted-foreground">
      <span aria-hidden="true" className="size-2 animate-pulse rounded-full bg-muted-foreground" />
      {queue ? <span data-testid="queue-position">{describeQueue(queue)}</span> : <span>Thinking…</span>}
    </div>
  );
}
