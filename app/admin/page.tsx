import type { Metadata } from "next";
import { FeedbackSummaryPanel } from "@/components/admin/feedback-summary";
import { OverviewDashboard } from "@/components/admin/overview-dashboard";
import { TopSpendersPanel } from "@/components/admin/top-spenders";
import { readOverview } from "@/lib/admin/overview";
import { getServices } from "@/lib/services";
import { requireAdminPage } from "./admin-access";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Overview" };

export default async function AdminOverviewPage() {
  await requireAdminPage();
  const overview = await readOverview(await getServices());
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Overview</h1>
      <OverviewDashboard initial={overview} />
      <div className="mt-6 grid gap-3 lg:grid-cols-2 [&>*]:min-w-0">
        <TopSpendersPanel />
        <FeedbackSummaryPanel />
      </div>
    </>
  );
}
