"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { createContext, use, useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { authClient } from "@/lib/auth/auth-client";

/** Whether the visitor has a session yet: a first-time visitor gets a guest one while the chat shows. */
const GuestSessionContext = createContext<{ isReady: boolean }>({ isReady: true });

export function useGuestSession(): { isReady: boolean } {
  return use(GuestSessionContext);
}

/**
 * A first-time visitor sees the chat at once, while a guest session starts beside it: the
 * composer takes text meanwhile and sends once the session is there (a fraction of a second).
 * On "/" nothing else changes; on any other page the server renders it again with the session.
 */
export function GuestSession({ needed, children }: { needed: boolean; children: ReactNode }) {
  const router = useRouter();
  const pathname = usePathname();
  const [isReady, setIsReady] = useState(!needed);
  const [problem, setProblem] = useState<string>();
  const hasStartedRef = useRef(false);

  const start = useCallback(async () => {
    setProblem(undefined);
    const { error } = await authClient.signIn.anonymous();
    if (error) {
      setProblem(error.message || "We couldn't start a guest session. Please try again.");
      return;
    }
    setIsReady(true);
    if (pathname !== "/") router.refresh();
  }, [pathname, router]);

  useEffect(() => {
    // One guest per visit, even when React runs effects twice in development.
    if (!needed || hasStartedRef.current) return;
    hasStartedRef.current = true;
    void start();
  }, [needed, start]);

  return (
    <GuestSessionContext value={{ isReady }}>
      {problem && (
        <div role="alert" className="fixed inset-x-0 top-16 z-50 mx-auto flex w-fit max-w-[calc(100vw-2rem)] flex-wrap items-center gap-3 rounded-lg border border-danger/40 bg-danger-muted px-4 py-2 text-sm shadow-sm">
          <p>{problem}</p>
          <Button variant="primary" size="sm" onClick={() => void start()}>
            Try again
          </Button>
          <Link href="/sign-in" className="underline">
            Sign in
          </Link>
        </div>
      )}
      {children}
    </GuestSessionContext>
  );
}
