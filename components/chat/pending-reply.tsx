"use client";

import { useEffect, useState } from "react";
import { describeQueue, type QueueStatus } from "./queue-status";

/** How often the wait counts down between the server's position updates. */
const TICK_MS = 500;

/** Stands in for a reply that has no text yet: its place in line, or that it is being written. */
export function PendingReply({ queue }: { queue: QueueStatus | null }) {
  const waitLeft = useCountdown(queue);
  return (
    <div className="flex items-center gap-2.5 py-2 text-sm text-muted-foreground">
      <span aria-hidden="true" className="size-2 animate-pulse rounded-full bg-muted-foreground" />
      {queue ? (
        <span data-testid="queue-position">{describeQueue({ position: queue.position, etaSeconds: waitLeft ?? queue.etaSeconds })}</span>
      ) : (
        <span>Thinking…</span>
      )}
    </div>
  );
}

/**
 * The estimate, counted down from when it arrived: the server sends a new one only when the place
 * in line changes, which near the front can take as long as the wait itself.
 */
function useCountdown(queue: QueueStatus | null): number | null {
  const [received, setReceived] = useState<{ queue: QueueStatus; at: number } | null>(null);
  const [now, setNow] = useState(0);
  useEffect(() => {
    if (!queue) return;
    const at = Date.now();
    setReceived({ queue, at });
    setNow(at);
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(timer);
  }, [queue]);
  if (!queue || received?.queue !== queue) return null;
  return Math.max(0, queue.etaSeconds - (now - received.at) / 1000);
}
