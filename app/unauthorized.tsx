import type { Metadata } from "next";
import Link from "next/link";
import { buttonClasses } from "@/components/ui/button";

export const metadata: Metadata = { title: "Sign in" };

// Rendered with status 401 where a page calls unauthorized(): the admin pages without a session.
export default function Unauthorized() {
  return (
    <main id="main" tabIndex={-1} className="flex min-h-dvh flex-col items-center justify-center gap-3 p-6 text-center focus:outline-none">
      <p className="text-sm font-medium text-muted-foreground">401</p>
      <h1 className="text-2xl font-semibold tracking-tight">Sign in to continue</h1>
      <p className="max-w-sm text-sm text-muted-foreground">This page is for signed-in administrators.</p>
      <Link href="/sign-in" className={buttonClasses({ variant: "primary", className: "mt-2" })}>
        Sign in
      </Link>
    </main>
  );
}
