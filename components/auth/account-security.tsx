"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { authClient } from "@/lib/auth/auth-client";
import { describeAuthError, MIN_PASSWORD_LENGTH, type AuthErrorLike } from "./auth-errors";
import { Field, FormNotice } from "./field";

type Outcome = { problem?: string; done?: string };

/** One form's sending state: runs `send`, and says what came of it. */
function useFormAction() {
  const [outcome, setOutcome] = useState<Outcome>({});
  const [isSubmitting, setIsSubmitting] = useState(false);
  async function run(send: () => Promise<{ error: AuthErrorLike | null }>, done: string): Promise<boolean> {
    setIsSubmitting(true);
    setOutcome({});
    const { error } = await send();
    setIsSubmitting(false);
    setOutcome(error ? { problem: describeAuthError(error) } : { done });
    return !error;
  }
  return { outcome, isSubmitting, run };
}

/** The signed-in account's address (verified or not) and password, each changed through better-auth. */
export function AccountSecurity({ email, emailVerified, notice }: { email: string; emailVerified: boolean; notice?: string }) {
  return (
    <div className="flex w-full flex-col gap-8">
      <div className="flex flex-col gap-2">
        <h1 className="text-2xl font-semibold tracking-tight">Your account</h1>
        {notice && <FormNotice done={notice} />}
        <p className="text-sm text-muted-foreground">
          <Link href="/" className="underline">
            Back to chat
          </Link>
        </p>
      </div>
      <EmailSection email={email} emailVerified={emailVerified} />
      <PasswordSection />
    </div>
  );
}

function EmailSection({ email, emailVerified }: { email: string; emailVerified: boolean }) {
  const newEmailId = useId();
  const change = useFormAction();
  const resend = useFormAction();

  async function changeEmail(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const newEmail = String(new FormData(event.currentTarget).get("newEmail") ?? "").trim();
    await change.run(
      () => authClient.changeEmail({ newEmail, callbackURL: "/account/security?changed=email" }),
      emailVerified
        ? `We mailed a link to ${email} to approve the change, then ${newEmail} gets one to verify it.`
        : `We mailed a link to ${newEmail}. Your address changes once you follow it.`,
    );
  }

  return (
    <section aria-labelledby={`${newEmailId}-heading`} className="flex flex-col gap-4">
      <h2 id={`${newEmailId}-heading`} className="text-lg font-semibold">
        Email
      </h2>
      <p className="text-sm" data-testid="account-email">
        {email}{" "}
        <span className="rounded-full border border-border px-2 py-0.5 text-xs text-muted-foreground">
          {emailVerified ? "Verified" : "Not verified"}
        </span>
      </p>
      {!emailVerified && (
        <div className="flex flex-col gap-2">
          <p className="text-sm text-muted-foreground">Follow the link we mailed you to verify this address.</p>
          <FormNotice {...resend.outcome} />
          <Button
            disabled={resend.isSubmitting}
            onClick={() =>
              resend.run(
                () => authClient.sendVerificationEmail({ email, callbackURL: "/account/security?changed=verified" }),
                `A new link is on its way to ${email}.`,
              )
            }
          >
            {resend.isSubmitting ? "Sending…" : "Send the link again"}
          </Button>
        </div>
      )}
      <form onSubmit={changeEmail} className="flex flex-col gap-4">
        <Field id={newEmailId} label="New email" name="newEmail" type="email" autoComplete="email" invalid={Boolean(change.outcome.problem)} />
        <FormNotice {...change.outcome} />
        <Button type="submit" disabled={change.isSubmitting}>
          {change.isSubmitting ? "Sending…" : "Change email"}
        </Button>
      </form>
    </section>
  );
}

function PasswordSection() {
  const router = useRouter();
  const ids = { heading: useId(), current: useId(), next: useId() };
  const change = useFormAction();

  async function changePassword(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const fields = new FormData(form);
    const changed = await change.run(
      () =>
        authClient.changePassword({
          currentPassword: String(fields.get("currentPassword") ?? ""),
          newPassword: String(fields.get("newPassword") ?? ""),
          revokeOtherSessions: true,
        }),
      "Your password is changed, and your other devices are signed out.",
    );
    if (changed) {
      form.reset();
      router.refresh();
    }
  }

  return (
    <section aria-labelledby={ids.heading} className="flex flex-col gap-4">
      <h2 id={ids.heading} className="text-lg font-semibold">
        Password
      </h2>
      <form onSubmit={changePassword} className="flex flex-col gap-4">
        <Field id={ids.current} label="Current password" name="currentPassword" type="password" autoComplete="current-password" />
        <Field
          id={ids.next}
          label="New password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          minLength={MIN_PASSWORD_LENGTH}
          hint={`At least ${MIN_PASSWORD_LENGTH} characters. Your other devices will be signed out.`}
          invalid={Boolean(change.outcome.problem)}
        />
        <FormNotice {...change.outcome} />
        <Button type="submit" disabled={change.isSubmitting}>
          {change.isSubmitting ? "Saving…" : "Change password"}
        </Button>
      </form>
    </section>
  );
}
