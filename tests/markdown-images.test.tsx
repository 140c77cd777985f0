/**
 * Issue 14, point 10: Markdown images in a reply load only over https. A reply holds what the
 * model wrote and what the user pasted; an image from http: (readable and changeable on the
 * way), a data: URL or a relative URL (a request to this app with the user's cookies) is shown
 * as a placeholder with its alt text, never loaded.
 */
import { renderToStaticMarkup } from "react-dom/server";
import { expect, it } from "vitest";
import { Markdown } from "@/components/chat/markdown";

function imageSources(html: string): string[] {
  return [...html.matchAll(/<img[^>]*\ssrc="([^"]*)"/g)].map((match) => match[1]);
}

it("loads an https image and blocks http, data: and relative ones", () => {
  const text = [
    "![kept](https://images.example.com/cat.png)",
    "![plain](http://tracker.example.com/pixel.gif)",
    "![inline](data:image/png;base64,iVBORw0KGgo=)",
    "![here](/api/auth/get-session)",
    "![protocol-relative](//tracker.example.com/pixel.gif)",
  ].join("\n\n");
  const html = renderToStaticMarkup(<Markdown text={text} isStreaming={false} />);

  expect(imageSources(html)).toEqual(["https://images.example.com/cat.png"]);
  for (const blocked of ["plain", "inline", "here", "protocol-relative"]) expect(html).toContain(`[Image blocked: ${blocked}]`);
});
