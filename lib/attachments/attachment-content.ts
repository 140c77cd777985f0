/**
 * What an uploaded file is, from its first bytes (never its name or the Content-Type a client
 * claims): PNG, JPEG, GIF, WebP or PDF, else nothing Stampede sends to a model. And how many prompt
 * tokens it adds to a model call, estimated high as lib/ai/token-estimate.ts does for text.
 */
import type { AttachmentKind } from "@/lib/domain";

export interface AttachmentContent {
  mediaType: string;
  kind: AttachmentKind;
}

const SIGNATURES: { mediaType: string; kind: AttachmentKind; matches: (bytes: Uint8Array) => boolean }[] = [
  { mediaType: "image/png", kind: "image", matches: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { mediaType: "image/jpeg", kind: "image", matches: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  { mediaType: "image/gif", kind: "image", matches: (b) => ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a" },
  { mediaType: "image/webp", kind: "image", matches: (b) => ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP" },
  { mediaType: "application/pdf", kind: "pdf", matches: (b) => ascii(b, 0, 5) === "%PDF-" },
];

export function sniffAttachment(bytes: Uint8Array): AttachmentContent | null {
  const found = SIGNATURES.find((signature) => signature.matches(bytes));
  return found ? { mediaType: found.mediaType, kind: found.kind } : null;
}

export function attachmentKindOf(mediaType: string): AttachmentKind {
  return mediaType === "application/pdf" ? "pdf" : "image";
}

/**
 * The most an image costs among the providers Stampede calls: Anthropic bills about 1,600 tokens
 * for an image at the largest size it keeps (larger ones are scaled down), OpenAI at most about
 * 1,100 at high detail.
 */
export const IMAGE_TOKENS = 1_600;
/** A PDF page is sent as its text and an image of the page: Anthropic bills 1,500 to 3,000 tokens a page. */
export const PDF_PAGE_TOKENS = 3_000;

/** Estimated prompt tokens: a fixed figure per image, per page for a PDF (its page objects, at least one). */
export function estimateAttachmentTokens(bytes: Uint8Array, kind: AttachmentKind): number {
  if (kind === "image") return IMAGE_TOKENS;
  const pages = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1").match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0;
  return Math.max(1, pages) * PDF_PAGE_TOKENS;
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, index) => bytes[index] === byte);
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return bytes.length >= to ? String.fromCharCode(...bytes.subarray(from, to)) : "";
}
