import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { loadViewer } from "@/app/(chat)/load-viewer";
import { AccountPanel } from "@/components/account/account-panel";
import { AuthPage } from "@/components/auth/auth-page";
import { SpendSummary } from "@/components/account/spend-summary";
import { readAccountUsage } from "@/lib/account/account-usage";
import { getServices } from "@/lib/services";

export const metadata: Metadata = { title: "Your account" };

export const dynamic = "force-dynamic";

export default async function AccountPage() {
  const viewer = await loadViewer();
  // Guests have chats but no account: signing up keeps the chats and brings them here.
  if (!viewer || viewer.isGuest) redirect("/sign-in");
  return (
    <AuthPage>
      <AccountPanel email={viewer.email} spending={<SpendSummary usage={await readAccountUsage(await getServices(), viewer)} />} />
    </AuthPage>
  );
}
