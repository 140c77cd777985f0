import type { Metadata } from "next";
import { AuthPage } from "@/components/auth/auth-page";
import { ResetPasswordForm } from "@/components/auth/reset-password-form";

export const metadata: Metadata = { title: "Choose a new password" };

// Reached from the mailed link through /api/auth/reset-password/{token}, which adds `token` or `error`.
export default async function ResetPasswordPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { token, error } = await searchParams;
  return (
    <AuthPage>
      <ResetPasswordForm token={typeof token === "string" ? token : undefined} linkError={typeof error === "string" ? error : undefined} />
    </AuthPage>
  );
}
