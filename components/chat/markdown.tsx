"use client";

import type { ComponentProps } from "react";
import { code } from "@streamdown/code";
import { defaultRehypePlugins, Streamdown } from "streamdown";

/** The part of a hast element the step below reads and writes. */
interface HastNode {
  type: string;
  tagName?: string;
  properties?: Record<string, unknown>;
  children?: HastNode[];
}

/**
 * A code block wider than its column (any longer line on a phone) scrolls sideways, and a region
 * that scrolls must be reachable by keyboard (axe: scrollable-region-focusable). Streamdown hands
 * the properties of a block's `<code>` to the element that scrolls, so each block becomes a named
 * tab stop there: "Code: ts", or "Code" when the block names no language.
 */
function focusableCodeBlocks() {
  const visit = (node: HastNode) => {
    for (const child of node.children ?? []) {
      if (node.tagName === "pre" && child.type === "element" && child.tagName === "code") {
        const classes = child.properties?.className;
        const language = (Array.isArray(classes) ? classes : [])
          .map(String)
          .find((name) => name.startsWith("language-"))
          ?.slice("language-".length);
        child.properties = { ...child.properties, tabIndex: 0, role: "group", ariaLabel: language ? `Code: ${language}` : "Code" };
      }
      visit(child);
    }
  };
  return visit;
}

/**
 * Streamdown's defaults parse raw HTML (rehype-raw) and then sanitize it. We leave rehype-raw out:
 * Streamdown then turns HTML in a reply into plain text, so `<img src=x onerror=...>` is shown,
 * never built. Sanitize and harden still guard links and images written in Markdown; the code
 * blocks' keyboard stops are added after them, so sanitizing cannot strip them.
 */
const REHYPE_PLUGINS = [defaultRehypePlugins.sanitize, defaultRehypePlugins.harden, focusableCodeBlocks];
const PLUGINS = { code };
const COMPONENTS = { img: HttpsImage };

/**
 * Images in a reply load only over https. A reply holds what the model wrote and whatever the
 * user pasted, and an image is a request the browser makes by itself: over http it can be read
 * or changed on the way, a data: URL can carry anything, and a relative URL is a request to this
 * app with the user's cookies. Any of those shows its alt text instead. The Content-Security-
 * Policy's img-src (next.config.ts) holds the same line for the whole page.
 */
function HttpsImage({ src, alt, node: _node, ...props }: ComponentProps<"img"> & { node?: unknown }) {
  if (typeof src === "string" && src.startsWith("https://")) {
    return <img src={src} alt={alt ?? ""} loading="lazy" referrerPolicy="no-referrer" {...props} />;
  }
  return <span className="rounded bg-muted px-2 py-0.5 text-sm text-muted-foreground">[Image blocked: {alt || "no description"}]</span>;
}

export function Markdown({ text, isStreaming }: { text: string; isStreaming: boolean }) {
  return (
    <Streamdown
      className="min-w-0 break-words [&_pre]:max-w-full"
      plugins={PLUGINS}
      rehypePlugins={REHYPE_PLUGINS}
      components={COMPONENTS}
      isAnimating={isStreaming}
    >
      {text}
    </Streamdown>
  );
}
