"use client";

import Link from "next/link";
import { useState } from "react";
import { Button, buttonClasses } from "@/components/ui/button";
import { authClient } from "@/lib/auth/auth-client";

export interface AccountSummary {
  email: string;
  isGuest: boolean;
  /** Shows the way to the admin pages (which check the role themselves). */
  isAdmin?: boolean;
}

export function AccountStatus({ account }: { account: AccountSummary }) {
  if (account.isGuest) {
    return (
      <div className="flex min-w-0 items-center gap-2">
        <span className="rounded-full border border-border px-2 py-0.5 text-xs text-muted-foreground">Guest</span>
        <Link href="/sign-up" className={buttonClasses({ variant: "primary", size: "sm" })}>
          <span>
            Sign up<span className="hidden sm:inline"> to keep your chats</span>
          </span>
        </Link>
        <span className="hidden sm:contents">
          <Link href="/sign-in" className={buttonClasses({ variant: "ghost", size: "sm" })}>
            Sign in
          </Link>
        </span>
      </div>
    );
  }
  return (
    <div className="flex min-w-0 items-center gap-2">
      <span className="hidden max-w-48 truncate text-sm text-muted-foreground sm:block" title={account.email}>
        {account.email}
      </span>
      <Link href="/account" data-testid="account-link" className={buttonClasses({ variant: "ghost", size: "sm" })}>
        Account
      </Link>
      {account.isAdmin && (
        <Link href="/admin" data-testid="admin-link" className={buttonClasses({ variant: "ghost", size: "sm" })}>
          Admin
        </Link>
      )}
      <SignOutButton />
    </div>
  );
}

function SignOutButton() {
  const [isSigningOut, setIsSigningOut] = useState(false);
  async function signOut() {
    setIsSigningOut(true);
    await authClient.signOut();
    // A full load drops everything this page held for the account that just left.
    window.location.assign("/");
  }
  return (
    <Button variant="secondary" size="sm" data-testid="sign-out-button" onClick={signOut} disabled={isSigningOut}>
      {isSigningOut ? "Signing out…" : "Sign out"}
    </Button>
  );
}
