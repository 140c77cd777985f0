"use client";

import { useSyncExternalStore } from "react";
import { ToolbarIconButton } from "./button";
import { MoonIcon, SunIcon } from "./icons";
import { applyTheme } from "./theme";

function subscribeToThemeClass(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  return () => observer.disconnect();
}

const isDarkNow = () => document.documentElement.classList.contains("dark");

export function ThemeToggle() {
  // The server cannot know the theme; the first client render corrects it without a mismatch.
  const isDark = useSyncExternalStore(subscribeToThemeClass, isDarkNow, () => false);
  const label = isDark ? "Switch to light theme" : "Switch to dark theme";
  return (
    <ToolbarIconButton label={label} data-testid="theme-toggle" onClick={() => applyTheme(isDark ? "light" : "dark")}>
      {isDark ? <SunIcon /> : <MoonIcon />}
    </ToolbarIconButton>
  );
}
