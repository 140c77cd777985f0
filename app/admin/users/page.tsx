import type { Metadata } from "next";
import { UsersPanel } from "@/components/admin/users-panel";
import { requireAdminPage } from "../admin-access";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Users" };

export default async function AdminUsersPage() {
  const admin = await requireAdminPage();
  return (
    <>
      <h1 className="mb-4 text-xl font-semibold tracking-tight">Users</h1>
      <UsersPanel adminUserId={admin.userId} />
    </>
  );
}
