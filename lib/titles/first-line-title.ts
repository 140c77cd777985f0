/** The title a chat starts with, and keeps when no title is written for it (lib/titles/write-title.ts). */

/** The longest title the app makes itself, first-line or written by the model. */
export const TITLE_LENGTH = 60;

/** Shortens a one-line title to TITLE_LENGTH at a word boundary, marking the cut with an ellipsis. */
export function shortenTitle(line: string): string {
  if (line.length <= TITLE_LENGTH) return line;
  const cut = line.slice(0, TITLE_LENGTH);
  const lastSpace = cut.lastIndexOf(" ");
  return `${(lastSpace > TITLE_LENGTH / 2 ? cut.slice(0, lastSpace) : cut).trimEnd()}…`;
}

/** A chat's title, from its first message: the first line, shortened at a word boundary. */
export function titleFromMessage(text: string): string {
  return shortenTitle(text.trim().split(/\r?\n/, 1)[0].replace(/\s+/g, " "));
}
