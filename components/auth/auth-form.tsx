"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { authClient } from "@/lib/auth/auth-client";
import type { SignInOption } from "@/lib/auth/sso";
import { SsoButtons } from "./sso-buttons";

type Mode = "sign-in" | "sign-up";

const COPY = {
  "sign-in": {
    heading: "Sign in",
    submit: "Sign in",
    busy: "Signing in…",
    switchPrompt: "New here?",
    switchLink: { href: "/sign-up", label: "Create an account" },
  },
  "sign-up": {
    heading: "Create your account",
    submit: "Sign up",
    busy: "Creating your account…",
    switchPrompt: "Already have an account?",
    switchLink: { href: "/sign-in", label: "Sign in" },
  },
} as const;

const MIN_PASSWORD_LENGTH = 8;

/** Friendlier words for the better-auth error codes a person can cause. */
const MESSAGE_BY_CODE: Record<string, string> = {
  INVALID_EMAIL_OR_PASSWORD: "That email and password don't match an account.",
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: "An account with this email already exists. Sign in instead.",
  PASSWORD_TOO_SHORT: `Use at least ${MIN_PASSWORD_LENGTH} characters for your password.`,
  BANNED_USER: "This account is suspended.",
};

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
}: {
  mode: Mode;
  /** The single sign-on buttons to show: only the providers the server has configured. */
  providers: SignInOption[];
  /** `?error=` from a provider's sign-in that came back here. */
  ssoError?: string;
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
    router.push("/");
    router.refresh();
  }

  return (
    <form onSubmit={submit} className="flex w-full flex-col gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">{copy.heading}</h1>
      {mode === "sign-up" && (
        <p className="text-sm text-muted-foreground">If you have been chatting as a guest, those chats come with you.</p>
      )}
      <SsoButtons providers={providers} onProblem={setProblem} />
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
      {problem && (
        <p role="alert" data-testid="auth-error" className="rounded-md bg-danger-muted px-3 py-2 text-sm">
          {problem}
        </p>
      )}
      <Button variant="primary" type="submit" disabled={isSubmitting}>
        {isSubmitting ? copy.busy : copy.submit}
      </Button>
      <p className="text-sm text-muted-foreground">
        {copy.switchPrompt}{" "}
        <Link href={copy.switchLink.href} className="font-medium text-foreground underline">
          {copy.switchLink.label}
        </Link>
        {" · "}
        <Link href="/" className="underline">
          Back to chat
        </Link>
      </p>
    </form>
  );
}

function Field({
  id,
  label,
  hint,
  invalid = false,
  required = true,
  ...input
}: {
  id: string;
  label: string;
  name: string;
  type: string;
  autoComplete: string;
  hint?: string;
  invalid?: boolean;
  required?: boolean;
  minLength?: number;
}) {
  const hintId = `${id}-hint`;
  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      <input
        id={id}
        required={required}
        aria-invalid={invalid || undefined}
        aria-describedby={hint ? hintId : undefined}
        className="h-10 rounded-md border border-input bg-background px-3 text-base sm:text-sm"
        {...input}
      />
      {hint && (
        <p id={hintId} className="text-xs text-muted-foreground">
          {hint}
        </p>
      )}
    </div>
  );
}

function describeAuthError(error: { code?: string; message?: string; status?: number }): string {
  if (error.code && MESSAGE_BY_CODE[error.code]) return MESSAGE_BY_CODE[error.code];
  if (error.status === 429) return "Too many attempts. Please wait a few seconds and try again.";
  return error.message || "Something went wrong. Please try again.";
}
