import Link from "next/link";
import { buttonClasses } from "@/components/ui/button";
import { ThemeToggle } from "@/components/ui/theme-toggle";
import { AdminNav } from "./admin-nav";

export function AdminHeader({ email }: { email: string }) {
  return (
    <header className="border-b border-border">
      <div className="mx-auto flex h-14 max-w-6xl items-center gap-3 px-4">
        <Link href="/admin" className="font-semibold">
          Stampede <span className="font-normal text-muted-foreground">admin</span>
        </Link>
        <div className="ml-auto flex min-w-0 items-center gap-1">
          <span className="hidden max-w-48 truncate text-sm text-muted-foreground sm:block" title={email}>
            {email}
          </span>
          <Link href="/" className={buttonClasses({ variant: "ghost", size: "sm" })}>
            Back to chat
          </Link>
          <ThemeToggle />
        </div>
      </div>
      <div className="mx-auto max-w-6xl px-4">
        <AdminNav />
      </div>
    </header>
  );
}
