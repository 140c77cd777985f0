import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { loadViewer } from "@/app/(chat)/load-viewer";
import { AuthPage } from "@/components/auth/auth-page";
import { InstructionsSettings } from "@/components/instructions/instructions-settings";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Custom instructions" };

export default async function InstructionsPage() {
  const viewer = await loadViewer();
  // Instructions are kept with an account: a guest signs up first (and keeps their chats).
  if (!viewer) redirect("/sign-in");
  if (viewer.isGuest) redirect("/sign-up");
  return (
    <AuthPage wide>
      <Link href="/" className="mb-4 inline-block text-sm text-muted-foreground underline-offset-4 hover:underline">
        ← Back to chats
      </Link>
      <InstructionsSettings />
    </AuthPage>
  );
}
