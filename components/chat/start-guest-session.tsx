"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { authClient } from "@/lib/auth/auth-client";

/** A first-time visitor gets a guest session at once, so they can chat without signing up. */
export function StartGuestSession() {
  const router = useRouter();
  const [problem, setProblem] = useState<string>();
  const hasStartedRef = useRef(false);

  const start = useCallback(async () => {
    setProblem(undefined);
    const { error } = await authClient.signIn.anonymous();
    if (error) {
      setProblem(error.message || "We couldn't start a guest session. Please try again.");
      return;
    }
    router.refresh();
  }, [router]);

  useEffect(() => {
    // One guest per visit, even when React runs effects twice in development.
    if (hasStartedRef.current) return;
    hasStartedRef.current = true;
    void start();
  }, [start]);

  return (
    <main id="main" tabIndex={-1} className="flex min-h-dvh items-center justify-center p-6 focus:outline-none">
      <h1 className="sr-only">Stampede</h1>
      {problem ? (
        <div role="alert" className="flex max-w-sm flex-col items-center gap-3 text-center">
          <p>{problem}</p>
          <div className="flex gap-2">
            <Button variant="primary" onClick={() => void start()}>
              Try again
            </Button>
            <Link href="/sign-in" className="inline-flex h-10 items-center px-3 text-sm underline">
              Sign in
            </Link>
          </div>
        </div>
      ) : (
        <p role="status" className="text-sm text-muted-foreground">
          Starting your guest session…
        </p>
      )}
    </main>
  );
}
