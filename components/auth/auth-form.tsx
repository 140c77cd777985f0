"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { authClient } from "@/lib/auth/auth-client";
import { authPageHref } from "@/lib/auth/return-to";
import type { SignInOption } from "@/lib/auth/sso";
import { SsoButtons } from "./sso-buttons";
import { describeAuthError, MIN_PASSWORD_LENGTH } from "./auth-errors";
import { Field, FormNotice } from "./field";

type Mode = "sign-in" | "sign-up";

const COPY = {
  "sign-in": {
    heading: "Sign in",
    submit: "Sign in",
    busy: "Signing in…",
    switchPrompt: "New here?",
    switchLink: { page: "/sign-up", label: "Create an account" },
  },
  "sign-up": {
    heading: "Create your account",
    submit: "Sign up",
    busy: "Creating your account…",
    switchPrompt: "Already have an account?",
    switchLink: { page: "/sign-in", label: "Sign in" },
  },
} as const;

/**
 * Why a provider's sign-in came back to the page (better-auth's `?error=` on the callback). The
 * one a person can fix: their address has an account here that the provider may not join yet.
 */
const SSO_MESSAGE_BY_ERROR: Record<string, string> = {
  account_not_linked:
    "This email already has an account here. Sign in with your password and verify your email; after that this sign-in joins it.",
  banned: "This account is suspended.",
};

function ssoProblem(error: string | undefined): string | undefined {
  if (!error) return undefined;
  return SSO_MESSAGE_BY_ERROR[error] ?? "Signing in with that provider did not work. Please try again.";
}

export function AuthForm({
  mode,
  providers,
  ssoError,
  returnTo,
}: {
  mode: Mode;
  /** The single sign-on buttons to show: only the providers the server has configured. */
  providers: SignInOption[];
  /** `?error=` from a provider's sign-in that came back here. */
  ssoError?: string;
  /** Where to go once signed in: the chat the person came from, or the start page. */
  returnTo: string;
}) {
  const router = useRouter();
  const copy = COPY[mode];
  const ids = { name: useId(), email: useId(), password: useId() };
  const [problem, setProblem] = useState(() => ssoProblem(ssoError));
  const [isSubmitting, setIsSubmitting] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    const name = String(form.get("name") ?? "").trim();

    setIsSubmitting(true);
    setProblem(undefined);
    const { error } =
      mode === "sign-up"
        ? await authClient.signUp.email({ email, password, name: name || email.split("@")[0] })
        : await authClient.signIn.email({ email, password });
    if (error) {
      setIsSubmitting(false);
      setProblem(describeAuthError(error));
      return;
    }
    router.push(returnTo);
    router.refresh();
  }

  return (
    <form onSubmit={submit} className="flex w-full flex-col gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">{copy.heading}</h1>
      {mode === "sign-up" && (
        <p className="text-sm text-muted-foreground">If you have been chatting as a guest, those chats come with you.</p>
      )}
      <SsoButtons providers={providers} returnTo={returnTo} onProblem={setProblem} />
      {mode === "sign-up" && (
        <Field id={ids.name} label="Name" name="name" type="text" autoComplete="name" required={false} />
      )}
      <Field id={ids.email} label="Email" name="email" type="email" autoComplete="email" invalid={Boolean(problem)} />
      <Field
        id={ids.password}
        label="Password"
        name="password"
        type="password"
        autoComplete={mode === "sign-up" ? "new-password" : "current-password"}
        minLength={mode === "sign-up" ? MIN_PASSWORD_LENGTH : undefined}
        hint={mode === "sign-up" ? `At least ${MIN_PASSWORD_LENGTH} characters.` : undefined}
        invalid={Boolean(problem)}
      />
      {mode === "sign-in" && (
        <Link href="/forgot-password" className="-mt-2 text-sm text-muted-foreground underline">
          Forgot your password?
        </Link>
      )}
      <FormNotice problem={problem} />
      <Button variant="primary" type="submit" disabled={isSubmitting}>
        {isSubmitting ? copy.busy : copy.submit}
      </Button>
      <p className="text-sm text-muted-foreground">
        {copy.switchPrompt}{" "}
        <Link href={authPageHref(copy.switchLink.page, returnTo)} className="font-medium text-foreground underline">
          {copy.switchLink.label}
        </Link>
        {" · "}
        <Link href={returnTo} className="underline">
          Back to chat
        </Link>
      </p>
    </form>
  );
}
