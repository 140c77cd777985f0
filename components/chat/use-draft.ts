"use client";

import { useEffect, useState, type Dispatch, type SetStateAction } from "react";

const KEY_PREFIX = "stampede:draft:";

/**
 * The composer's text, kept in localStorage under `key` (a chat id, or "new" for a chat not yet
 * sent), so what someone typed survives a reload, a crash or a message that could not be sent.
 * Read after mount: the server renders an empty composer, and the first client render matches it.
 */
export function useDraft(key: string): [string, Dispatch<SetStateAction<string>>] {
  const [draft, setDraft] = useState("");

  useEffect(() => {
    const stored = storage(() => localStorage.getItem(KEY_PREFIX + key));
    if (stored) setDraft((current) => current || stored);
  }, [key]);

  // Runs after the read above on mount: the stored text has been read before this can clear it.
  useEffect(() => {
    storage(() => (draft ? localStorage.setItem(KEY_PREFIX + key, draft) : localStorage.removeItem(KEY_PREFIX + key)));
  }, [key, draft]);

  return [draft, setDraft];
}

/** Private browsing or a full quota makes localStorage throw: the draft then lives as long as the page. */
function storage<T>(use: () => T): T | undefined {
  try {
    return use();
  } catch {
    return undefined;
  }
}
