"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { authClient } from "@/lib/auth/auth-client";
import { authPageHref } from "@/lib/auth/return-to";
import type { SignInOption } from "@/lib/auth/sso";

/**
 * One button per sign-in provider the server has configured. The provider's pages take over from
 * here and send the browser back to the app, signed in; a guest's chats come along.
 */
export function SsoButtons({
  providers,
  returnTo,
  onProblem,
}: {
  providers: SignInOption[];
  /** Where the provider's pages send the browser back to. */
  returnTo: string;
  onProblem: (problem: string) => void;
}) {
  const [pending, setPending] = useState<string>();
  if (providers.length === 0) return null;

  async function signInWith(provider: SignInOption) {
    setPending(provider.id);
    const { error } = await authClient.signIn.social({
      provider: provider.id,
      callbackURL: returnTo,
      errorCallbackURL: authPageHref("/sign-in", returnTo),
    });
    // On success the browser is already on its way to the provider.
    if (error) {
      setPending(undefined);
      onProblem(error.message || `Signing in with ${provider.name} did not start. Please try again.`);
    }
  }

  return (
    <div className="flex flex-col gap-2" data-testid="sso-buttons">
      {providers.map((provider) => (
        <Button key={provider.id} variant="secondary" disabled={pending !== undefined} onClick={() => signInWith(provider)}>
          {pending === provider.id ? `Opening ${provider.name}…` : `Continue with ${provider.name}`}
        </Button>
      ))}
      <p className="my-1 text-center text-xs text-muted-foreground">or with your email</p>
    </div>
  );
}
