// POST /api/attachments?name=photo.png, the file's bytes as the body: store an image or PDF to send with a message.
import { uploadAttachment } from "@/lib/attachments/attachments";
import { uploadQuerySchema } from "@/lib/attachments/schemas";
import { parseWith, route } from "@/lib/http/route";
import { LARGEST_ATTACHMENT_BYTES } from "@/lib/limits/policies";

export const POST = route.user("attachments.upload", async ({ request, services, viewer }) => {
  const { name } = parseWith(uploadQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  const bytes = new Uint8Array(await request.arrayBuffer());
  const attachment = await uploadAttachment(services, viewer, { bytes, name });
  return Response.json({ attachment }, { status: 201 });
}, { maxBodyBytes: LARGEST_ATTACHMENT_BYTES });
