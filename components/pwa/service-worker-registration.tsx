"use client";

import { useEffect } from "react";

/**
 * Registers public/sw.js (the app shell and notification clicks), which with app/manifest.ts
 * makes the app installable. Only on production builds: the dev server's files are not
 * content-hashed, so a cached one would hide the next edit.
 */
export function ServiceWorkerRegistration({ enabled }: { enabled: boolean }) {
  useEffect(() => {
    if (!enabled || !("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error: unknown) => {
      // The app works the same without it; only installing and the offline page are lost.
      console.warn("Stampede: the service worker could not be registered", error);
    });
  }, [enabled]);
  return null;
}
