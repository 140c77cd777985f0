/**
 * Stands in for the page's Notification API and its visibility before the app's scripts run:
 * records each notification constructed and each permission request (answered `answer`, as
 * the person would at the browser's prompt), and lets a test hide the tab. Headless Chromium
 * shows no prompt and no notification, and its tab is always visible.
 */
import type { Page } from "@playwright/test";

interface SpyOptions {
  answer?: NotificationPermission;
}

interface SpyState {
  shown: { title: string; body?: string; tag?: string; instance: { onclick: (() => void) | null } }[];
  permissionRequests: number;
  hidden: boolean;
}

declare global {
  interface Window {
    __notificationSpy: SpyState;
  }
}

export async function installNotificationSpy(page: Page, { answer = "granted" }: SpyOptions = {}): Promise<void> {
  await page.addInitScript((answer: NotificationPermission) => {
    // Kept across the page's own reloads and navigations, as the browser keeps a permission.
    const stored = sessionStorage.getItem("notification-spy:permission") as NotificationPermission | null;
    let permission: NotificationPermission = stored ?? "default";
    const state: SpyState = { shown: [], permissionRequests: 0, hidden: false };
    window.__notificationSpy = state;

    class SpyNotification {
      onclick: (() => void) | null = null;
      static get permission() {
        return permission;
      }
      static async requestPermission() {
        state.permissionRequests += 1;
        permission = answer;
        sessionStorage.setItem("notification-spy:permission", permission);
        return permission;
      }
      constructor(title: string, options?: NotificationOptions) {
        state.shown.push({ title, body: options?.body, tag: options?.tag, instance: this });
      }
      close() {}
    }
    Object.defineProperty(window, "Notification", { value: SpyNotification, configurable: true, writable: true });
    Object.defineProperty(Document.prototype, "visibilityState", { get: () => (state.hidden ? "hidden" : "visible"), configurable: true });
    Object.defineProperty(Document.prototype, "hidden", { get: () => state.hidden, configurable: true });
    const focus = window.focus.bind(window);
    // Counted in sessionStorage: a click that focuses the tab may also load the chat anew.
    window.focus = () => {
      sessionStorage.setItem("notification-spy:focus-calls", String(Number(sessionStorage.getItem("notification-spy:focus-calls") ?? 0) + 1));
      focus();
    };
  }, answer);
}

export function notificationSpy(page: Page) {
  return {
    shown: () => page.evaluate(() => window.__notificationSpy.shown.map(({ title, body, tag }) => ({ title, body, tag }))),
    permissionRequests: () => page.evaluate(() => window.__notificationSpy.permissionRequests),
    focusCalls: () => page.evaluate(() => Number(sessionStorage.getItem("notification-spy:focus-calls") ?? 0)),
    setHidden: (hidden: boolean) =>
      page.evaluate((hidden) => {
        window.__notificationSpy.hidden = hidden;
        document.dispatchEvent(new Event("visibilitychange"));
      }, hidden),
    clickFirst: () => page.evaluate(() => window.__notificationSpy.shown[0]?.instance.onclick?.()),
  };
}
