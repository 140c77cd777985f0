/**
 * What a stop records, and how it decides the stopped reply's stored text.
 *
 * The job notices a stop with its next relay append (which reads the flag), or its next look at the
 * flag while nothing is appended (every 250 ms), and the model keeps writing
 * until then; the person saw the reply as it was when they pressed Stop. So the flag carries how
 * many characters of text they had on screen, and the stored reply is cut there: after a reload it
 * reads exactly as it did.
 */
import type { ChatUIMessage } from "@/lib/domain";

/** The flag's value when the stopper did not say what it saw (an API client, a user deleted). */
const UNKNOWN_SHOWN = "stop";

export function stopMark(shownChars: number | undefined): string {
  return shownChars === undefined ? UNKNOWN_SHOWN : String(shownChars);
}

/** The characters of text the stopper saw, or undefined when the mark does not say. */
export function shownCharsOf(mark: string): number | undefined {
  const shown = Number(mark);
  return mark !== UNKNOWN_SHOWN && Number.isInteger(shown) && shown >= 0 ? shown : undefined;
}

/**
 * The reply's parts up to `shownChars` characters of text, counted over its text parts in order
 * (what the chat renders); whatever the model wrote after that point is dropped.
 */
export function cutAtShown(parts: ChatUIMessage["parts"], shownChars: number | undefined): ChatUIMessage["parts"] {
  if (shownChars === undefined) return parts;
  const cut: ChatUIMessage["parts"] = [];
  let left = shownChars;
  for (const part of parts) {
    if (left === 0) break;
    if (part.type !== "text") {
      cut.push(part);
      continue;
    }
    cut.push(part.text.length <= left ? part : { ...part, text: part.text.slice(0, left), state: "done" });
    left -= Math.min(left, part.text.length);
  }
  return cut;
}
