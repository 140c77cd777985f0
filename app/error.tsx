"use client";

import { Button } from "@/components/ui/button";

/** Shown when a page fails on the server; the digest matches the server's log line. */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main id="main" tabIndex={-1} className="flex min-h-dvh flex-col items-center justify-center gap-3 p-6 text-center focus:outline-none">
      <h1 className="text-2xl font-semibold tracking-tight">Something went wrong</h1>
      <p role="alert" className="max-w-sm text-sm text-muted-foreground">
        Stampede could not load this page. This is usually brief: please try again in a moment.
      </p>
      <Button variant="primary" onClick={reset}>
        Try again
      </Button>
      {error.digest && <p className="text-xs text-muted-foreground">Reference: {error.digest}</p>}
    </main>
  );
}
