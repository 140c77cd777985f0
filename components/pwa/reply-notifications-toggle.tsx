"use client";

import { ToolbarIconButton } from "@/components/ui/button";
import { BellIcon, BellOffIcon } from "@/components/ui/icons";
import { useReplyNotifications } from "./reply-notifications";

const LABELS = {
  off: "Notify me when a reply starts while I am away",
  on: "Stop notifying me when a reply starts",
  blocked: "Notifications are blocked for this site in the browser's settings",
} as const;

/** The opt-in for reply notifications: the browser's permission is asked on this click only. */
export function ReplyNotificationsToggle() {
  const { state, turnOn, turnOff } = useReplyNotifications();
  if (state === "unsupported") return null;
  return (
    <ToolbarIconButton
      label={LABELS[state]}
      aria-pressed={state === "on"}
      aria-disabled={state === "blocked"}
      data-testid="notifications-toggle"
      data-state={state}
      onClick={() => {
        if (state === "off") void turnOn();
        else if (state === "on") turnOff();
      }}
    >
      {state === "on" ? <BellIcon /> : <BellOffIcon />}
    </ToolbarIconButton>
  );
}
