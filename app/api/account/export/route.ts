// GET /api/account/export: every chat of the signed-in user as a zip (chats.json and one Markdown file per chat).
import { exportChats } from "@/lib/account/export-chats";
import { requireViewer } from "@/lib/auth/viewer";
import { route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

export const GET = route("account.export", async (request, context) => {
  const services = await getServices();
  const viewer = await requireViewer(services, request.headers);
  context.userId = viewer.userId;
  const { fileName, archive } = await exportChats(services, viewer);
  return new Response(archive, {
    headers: {
      "Content-Type": "application/zip",
      "Content-Disposition": `attachment; filename="${fileName}"`,
      "Cache-Control": "private, no-store",
    },
  });
});
