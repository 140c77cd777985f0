"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { createContext, use, useEffect, useId, useRef, useState } from "react";
import { Button, buttonClasses } from "@/components/ui/button";
import { authClient } from "@/lib/auth/auth-client";
import { authPageHref } from "@/lib/auth/return-to";
import { SpendLine } from "./spend-line";

export interface AccountSummary {
  email: string;
  isGuest: boolean;
  /** Shows the way to the admin pages (which check the role themselves). */
  isAdmin?: boolean;
}

/** The signed-in account (or guest) for the chat's components; set by ChatShell. */
export const AccountContext = createContext<AccountSummary>({ email: "", isGuest: true });

export function useAccount(): AccountSummary {
  return use(AccountContext);
}

export function AccountStatus({ account }: { account: AccountSummary }) {
  // The chat in view (its address changes once its first message is sent): signing up returns to it.
  const pathname = usePathname();
  if (account.isGuest) {
    return (
      <div className="flex min-w-0 items-center gap-1 sm:gap-2">
        {/* On a phone the two links say it; the badge would push Sign in off the bar. */}
        <span className="hidden rounded-full border border-border px-2 py-0.5 text-xs text-muted-foreground sm:inline">Guest</span>
        <Link href={authPageHref("/sign-up", pathname)} className={buttonClasses({ variant: "primary", size: "sm" })}>
          <span>
            Sign up<span className="hidden sm:inline"> to keep your chats</span>
          </span>
        </Link>
        <Link href={authPageHref("/sign-in", pathname)} className={buttonClasses({ variant: "ghost", size: "sm" })}>
          Sign in
        </Link>
      </div>
    );
  }
  return (
    <div className="flex min-w-0 items-center gap-2">
      {account.isAdmin && (
        <Link href="/admin" data-testid="admin-link" className={buttonClasses({ variant: "ghost", size: "sm" })}>
          Admin
        </Link>
      )}
      <AccountMenu email={account.email} />
    </div>
  );
}

/** The signed-in account at every width: its initial on a phone, its address beside it from 640 px. */
function AccountMenu({ email }: { email: string }) {
  const [isOpen, setIsOpen] = useState(false);
  const menuId = useId();
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!isOpen) return;
    function onPointerDown(event: PointerEvent) {
      if (!rootRef.current?.contains(event.target as Node)) setIsOpen(false);
    }
    function onKeyDown(event: KeyboardEvent) {
      if (event.key !== "Escape") return;
      setIsOpen(false);
      buttonRef.current?.focus();
    }
    document.addEventListener("pointerdown", onPointerDown);
    document.addEventListener("keydown", onKeyDown);
    return () => {
      document.removeEventListener("pointerdown", onPointerDown);
      document.removeEventListener("keydown", onKeyDown);
    };
  }, [isOpen]);

  return (
    <div ref={rootRef} className="relative min-w-0">
      <Button
        ref={buttonRef}
        variant="ghost"
        size="sm"
        className="h-11 max-w-56 min-w-11"
        data-testid="account-menu-button"
        aria-expanded={isOpen}
        aria-controls={menuId}
        onClick={() => setIsOpen((open) => !open)}
      >
        <span aria-hidden="true" className="grid size-7 shrink-0 place-items-center rounded-full bg-primary text-xs font-semibold text-primary-foreground uppercase">
          {email.slice(0, 1)}
        </span>
        {/* Named by its text, not an aria-label, so what is read is what is shown (axe's label-content-name-mismatch). */}
        <span className="sr-only">Account: </span>
        <span className="sr-only truncate sm:not-sr-only">{email}</span>
      </Button>
      {isOpen && (
        <div
          id={menuId}
          data-testid="account-menu"
          className="absolute top-full right-0 z-40 mt-1 flex w-64 max-w-[calc(100vw-1.5rem)] flex-col gap-2 rounded-lg border border-border bg-background p-3 shadow-lg"
        >
          <p className="text-xs text-muted-foreground">Signed in as</p>
          <p data-testid="account-menu-email" className="truncate text-sm font-medium" title={email}>
            {email}
          </p>
          <SpendLine />
          <Link href="/account" data-testid="account-link" className={buttonClasses({ variant: "ghost", className: "justify-start" })}>
            Account
          </Link>
          <Link href="/account/instructions" data-testid="instructions-link" className={buttonClasses({ variant: "ghost", className: "justify-start" })}>
            Custom instructions
          </Link>
          <SignOutButton />
        </div>
      )}
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
    <Button variant="secondary" size="md" data-testid="sign-out-button" onClick={signOut} disabled={isSigningOut}>
      {isSigningOut ? "Signing out…" : "Sign out"}
    </Button>
  );
}
