import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { buttonClasses } from "@/components/ui/button";
import { getViewer } from "@/lib/auth/viewer";
import { AppError } from "@/lib/errors";
import { getServices } from "@/lib/services";

export const metadata: Metadata = { title: "No access" };

/** Whether the 403 is for a suspended account rather than a page this account may not see. */
async function isSuspended(): Promise<boolean> {
  try {
    await getViewer(await getServices(), await headers());
    return false;
  } catch (error) {
    return error instanceof AppError && error.code === "banned";
  }
}

// Rendered with status 403 wherever a page calls forbidden(): the admin pages, and every page for a banned account.
export default async function Forbidden() {
  const suspended = await isSuspended();
  return (
    <main id="main" tabIndex={-1} className="flex min-h-dvh flex-col items-center justify-center gap-3 p-6 text-center focus:outline-none">
      <p className="text-sm font-medium text-muted-foreground">403</p>
      <h1 className="text-2xl font-semibold tracking-tight" data-testid="forbidden-title">
        {suspended ? "This account is suspended" : "You don’t have access to this page"}
      </h1>
      <p className="max-w-sm text-sm text-muted-foreground">
        {suspended
          ? "An administrator has suspended this account. If you think this is a mistake, contact support."
          : "This area is for Stampede’s administrators. If you should have access, sign in with your admin account."}
      </p>
      {!suspended && (
        <Link href="/" className={buttonClasses({ variant: "primary", className: "mt-2" })}>
          Back to chat
        </Link>
      )}
    </main>
  );
}
