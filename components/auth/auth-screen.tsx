import { signInOptions } from "@/lib/auth/sso";
import { returnPathFrom } from "@/lib/auth/return-to";
import { getConfig } from "@/lib/config";
import { AuthForm } from "./auth-form";
import { AuthPage } from "./auth-page";

export interface AuthScreenProps {
  searchParams: Promise<{ error?: string | string[]; next?: string | string[] }>;
}

/** The sign-in or sign-up page, with a button for each sign-in provider this server has configured. */
export async function AuthScreen({ mode, searchParams }: AuthScreenProps & { mode: "sign-in" | "sign-up" }) {
  const { error, next } = await searchParams;
  return (
    <AuthPage>
      <AuthForm
        mode={mode}
        providers={signInOptions(getConfig().auth.sso)} ssoError={typeof error === "string" ? error : undefined}
        returnTo={returnPathFrom(next)}
      />
    </AuthPage>
  );
}
