"use client";

import { code } from "@streamdown/code";
import { defaultRehypePlugins, Streamdown } from "streamdown";

/**
 * Streamdown's defaults parse raw HTML (rehype-raw) and then sanitize it. We leave rehype-raw out:
 * Streamdown then turns HTML in a reply into plain text, so `<img src=x onerror=...>` is shown,
 * never built. Sanitize and harden still guard links and images written in Markdown.
 */
const REHYPE_PLUGINS = [defaultRehypePlugins.sanitize, defaultRehypePlugins.harden];
const PLUGINS = { code };

export function Markdown({ text, isStreaming }: { text: string; isStreaming: boolean }) {
  return (
    <Streamdown
      className="min-w-0 break-words [&_pre]:max-w-full"
      plugins={PLUGINS}
      rehypePlugins={REHYPE_PLUGINS}
      isAnimating={isStreaming}
    >
      {text}
    </Streamdown>
  );
}
