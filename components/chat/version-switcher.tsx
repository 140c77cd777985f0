"use client";

import { Button } from "@/components/ui/button";
import { ChevronLeftIcon, ChevronRightIcon } from "@/components/ui/icons";
import type { MessageVersions } from "@/lib/domain";

/** Which of the two buttons moved to a version. */
export type SwitchButton = "previous" | "next";

/**
 * ‹ 1/2 › under a turn that has versions (a regenerated reply, an edited message): moves to the
 * previous or next one. `what` names the turn for screen readers ("reply", "message").
 */
export function VersionSwitcher({
  versions,
  what,
  disabled,
  onShow,
}: {
  versions: MessageVersions;
  what: string;
  disabled: boolean;
  onShow: (messageId: string, button: SwitchButton) => void;
}) {
  const { index, ids } = versions;
  return (
    <div role="group" aria-label={`Versions of this ${what}`} data-testid="version-switcher" className="flex items-center text-xs text-muted-foreground">
      <Button
        variant="ghost"
        size="touch"
        aria-label={`Previous version of this ${what}`}
        data-testid="previous-version"
        disabled={disabled || index === 0}
        onClick={() => onShow(ids[index - 1], "previous")}
      >
        <ChevronLeftIcon />
      </Button>
      <span data-testid="version-position" aria-hidden="true">
        {index + 1}/{ids.length}
      </span>
      <span className="sr-only">
        Version {index + 1} of {ids.length}
      </span>
      <Button
        variant="ghost"
        size="touch"
        aria-label={`Next version of this ${what}`}
        data-testid="next-version"
        disabled={disabled || index === ids.length - 1}
        onClick={() => onShow(ids[index + 1], "next")}
      >
        <ChevronRightIcon />
      </Button>
    </div>
  );
}
