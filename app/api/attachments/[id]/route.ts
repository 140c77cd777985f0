// GET /api/attachments/{id}: an attachment's bytes, to its owner only (404 for anyone else).
import { readAttachment } from "@/lib/attachments/attachments";
import { attachmentIdSchema } from "@/lib/attachments/schemas";
import { notFound } from "@/lib/errors";
import { route } from "@/lib/http/route";

export const GET = route.user<{ id: string }>("attachments.read", async ({ services, viewer, params }) => {
  const id = attachmentIdSchema.safeParse(params.id);
  if (!id.success) throw notFound("Attachment");
  const attachment = await readAttachment(services, { id: id.data, userId: viewer.userId });
  return new Response(Buffer.from(attachment.bytes), { headers: attachmentHeaders(attachment) });
});

/**
 * The type its content was found to be, never sniffed again by the browser; a PDF as a download
 * (a browser's viewer would run its scripts on this origin); private to the owner's browser.
 */
function attachmentHeaders({ mediaType, name, size }: { mediaType: string; name: string; size: number }): HeadersInit {
  const disposition = mediaType === "application/pdf" ? "attachment" : "inline";
  return {
    "Content-Type": mediaType,
    "Content-Length": String(size),
    "Content-Disposition": `${disposition}; filename*=UTF-8''${encodeURIComponent(name)}`,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, max-age=86400",
  };
}
