import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { AccountSecurity } from "@/components/auth/account-security";
import { AuthPage } from "@/components/auth/auth-page";
import { getViewer } from "@/lib/auth/viewer";
import { getServices } from "@/lib/services";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Your account" };

const NOTICES: Record<string, string> = {
  email: "Link followed. If it was the one sent to your current address, the new address now has a link of its own: your address changes when you follow that one.",
  verified: "Your address is verified.",
};

export default async function AccountSecurityPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const viewer = await getViewer(await getServices(), await headers());
  // A guest has no address or password yet: signing up gives them both and keeps their chats.
  if (!viewer) redirect("/sign-in");
  if (viewer.isGuest) redirect("/sign-up");
  const { changed } = await searchParams;
  return (
    <AuthPage>
      <AccountSecurity
        email={viewer.email}
        emailVerified={viewer.emailVerified}
        notice={typeof changed === "string" ? NOTICES[changed] : undefined}
      />
    </AuthPage>
  );
}
