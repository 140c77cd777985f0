"use client";

/**
 * Opt-in notifications for a reply that starts while its tab is hidden (issue 17): a person who
 * sent a message and switched away while it waited in line learns it is being written now.
 *
 * The choice is kept in localStorage, per browser. The browser's permission is asked for only
 * when the person turns notifications on (never on page load), and a notification is shown only
 * while the choice is on, the permission granted and the page hidden.
 */
import { useSyncExternalStore } from "react";

const OPT_IN_KEY = "stampede:notify-reply-start";
const listeners = new Set<() => void>();

export type ReplyNotificationsState = "unsupported" | "off" | "on" | "blocked";

function isSupported(): boolean {
  return typeof window !== "undefined" && "Notification" in window;
}

function readOptIn(): boolean {
  try {
    return localStorage.getItem(OPT_IN_KEY) === "on";
  } catch {
    return false;
  }
}

function writeOptIn(on: boolean): void {
  try {
    if (on) localStorage.setItem(OPT_IN_KEY, "on");
    else localStorage.removeItem(OPT_IN_KEY);
  } catch {
    // Private browsing or a full quota: the choice then lasts as long as the page.
  }
  listeners.forEach((listener) => listener());
}

function currentState(): ReplyNotificationsState {
  if (!isSupported()) return "unsupported";
  if (Notification.permission === "denied") return "blocked";
  return readOptIn() && Notification.permission === "granted" ? "on" : "off";
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // Another tab turning them on or off.
  window.addEventListener("storage", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", listener);
  };
}

/** The person's choice as the browser allows it; "unsupported" on the server and where there is no Notification API. */
export function useReplyNotifications(): { state: ReplyNotificationsState; turnOn: () => Promise<void>; turnOff: () => void } {
  const state = useSyncExternalStore(subscribe, currentState, () => "unsupported" as const);
  return {
    state,
    turnOn: async () => {
      // The one place the browser is asked, on the person's click.
      const permission = Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
      writeOptIn(permission === "granted");
    },
    turnOff: () => writeOptIn(false),
  };
}

/**
 * Says that the reply in chat `chatId` has started, if the person opted in and the page is
 * hidden. Clicking the notification brings the chat's tab forward, on the chat.
 */
export function notifyReplyStarted({ chatId, message }: { chatId: string; message: string }): void {
  if (currentState() !== "on" || document.visibilityState !== "hidden") return;
  const chatPath = `/chat/${chatId}`;
  const title = "Your reply has started";
  const options: NotificationOptions = {
    body: message.length > 80 ? `${message.slice(0, 79)}…` : message,
    icon: "/icons/icon-192.png",
    // A later reply in the same chat replaces the notice rather than piling up.
    tag: `reply-start:${chatId}`,
    data: { url: chatPath },
  };
  try {
    const notification = new Notification(title, options);
    notification.onclick = () => {
      window.focus();
      notification.close();
      if (window.location.pathname !== chatPath) window.location.assign(chatPath);
    };
  } catch {
    // Where pages may not construct notifications (Chrome on Android), the service worker shows
    // it, and its notificationclick handler (public/sw.js) opens the chat.
    void navigator.serviceWorker?.ready.then((registration) => registration.showNotification(title, options)).catch(() => {});
  }
}
