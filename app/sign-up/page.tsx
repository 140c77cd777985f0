import type { Metadata } from "next";
import { AuthScreen, type AuthScreenProps } from "@/components/auth/auth-screen";

export const metadata: Metadata = { title: "Sign up" };

// The sign-in providers shown are the running server's configuration, not the build's.
export const dynamic = "force-dynamic";

export default function SignUpPage(props: AuthScreenProps) {
  return <AuthScreen mode="sign-up" {...props} />;
}
