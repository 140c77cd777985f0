"use client";

import Link from "next/link";
import { useId, useState, type FormEvent } from "react";
import { Button, buttonClasses } from "@/components/ui/button";
import { authClient } from "@/lib/auth/auth-client";
import { describeAuthError, MIN_PASSWORD_LENGTH } from "./auth-errors";
import { Field, FormNotice } from "./field";

/**
 * The page a reset link lands on: better-auth checked the link and passed its token (or
 * `error=INVALID_TOKEN`). A reset ends every session of the account, so the next step is signing in.
 */
export function ResetPasswordForm({ token, linkError }: { token?: string; linkError?: string }) {
  const passwordId = useId();
  const [problem, setProblem] = useState<string | undefined>(
    linkError || !token ? describeAuthError({ code: "INVALID_TOKEN" }) : undefined,
  );
  const [isDone, setIsDone] = useState(false);
  const [isSubmitting, setIsSubmitting] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!token) return;
    const newPassword = String(new FormData(event.currentTarget).get("password") ?? "");
    setIsSubmitting(true);
    setProblem(undefined);
    const { error } = await authClient.resetPassword({ newPassword, token });
    setIsSubmitting(false);
    if (error) return setProblem(describeAuthError(error));
    setIsDone(true);
  }

  if (isDone) {
    return (
      <div className="flex w-full flex-col gap-4">
        <h1 className="text-2xl font-semibold tracking-tight">Password changed</h1>
        <FormNotice done="Your new password is set, and every device that was signed in has been signed out." />
        <Link href="/sign-in" className={buttonClasses({ variant: "primary" })}>
          Sign in
        </Link>
      </div>
    );
  }
  return (
    <form onSubmit={submit} className="flex w-full flex-col gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">Choose a new password</h1>
      <Field
        id={passwordId}
        label="New password"
        name="password"
        type="password"
        autoComplete="new-password"
        minLength={MIN_PASSWORD_LENGTH}
        hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
        invalid={Boolean(problem)}
      />
      <FormNotice problem={problem} />
      <Button variant="primary" type="submit" disabled={isSubmitting || !token}>
        {isSubmitting ? "Saving…" : "Set the new password"}
      </Button>
      <p className="text-sm text-muted-foreground">
        <Link href="/forgot-password" className="font-medium text-foreground underline">
          Ask for a new link
        </Link>
      </p>
    </form>
  );
}
