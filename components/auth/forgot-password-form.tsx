"use client";

import Link from "next/link";
import { useId, useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { authClient } from "@/lib/auth/auth-client";
import { describeAuthError } from "./auth-errors";
import { Field, FormNotice } from "./field";

/** Asks for a password reset link; says the same whether or not the address has an account. */
export function ForgotPasswordForm() {
  const emailId = useId();
  const [problem, setProblem] = useState<string>();
  const [sentTo, setSentTo] = useState<string>();
  const [isSubmitting, setIsSubmitting] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get("email") ?? "").trim();
    setIsSubmitting(true);
    setProblem(undefined);
    const { error } = await authClient.requestPasswordReset({ email, redirectTo: "/reset-password" });
    setIsSubmitting(false);
    if (error) return setProblem(describeAuthError(error));
    setSentTo(email);
  }

  return (
    <form onSubmit={submit} className="flex w-full flex-col gap-4">
      <h1 className="text-2xl font-semibold tracking-tight">Reset your password</h1>
      <p className="text-sm text-muted-foreground">We&rsquo;ll mail you a link to choose a new one.</p>
      <Field id={emailId} label="Email" name="email" type="email" autoComplete="email" invalid={Boolean(problem)} />
      <FormNotice
        problem={problem}
        done={sentTo && `If ${sentTo} has an account, a link to reset its password is on its way. It works for an hour.`}
      />
      <Button variant="primary" type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Sending…" : "Send the link"}
      </Button>
      <p className="text-sm text-muted-foreground">
        <Link href="/sign-in" className="font-medium text-foreground underline">
          Back to sign in
        </Link>
      </p>
    </form>
  );
}
