import type { ReactNode } from "react";
import { ThemeToggle } from "@/components/ui/theme-toggle";

/** A page outside the chat: the app's name, the theme toggle, and one column (wide for lists). */
export function AuthPage({ children, wide = false }: { children: ReactNode; wide?: boolean }) {
  return (
    <div className="flex min-h-dvh flex-col">
      <header className="flex h-14 items-center justify-between px-4">
        <span className="font-semibold">Stampede</span>
        <ThemeToggle />
      </header>
      <main id="main" tabIndex={-1} className="flex flex-1 items-start justify-center px-4 pt-[10vh] pb-10 focus:outline-none">
        <div className={`w-full ${wide ? "max-w-3xl" : "max-w-sm"}`}>{children}</div>
      </main>
    </div>
  );
}
