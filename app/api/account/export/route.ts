// GET /api/account/export: every chat of the signed-in user as a zip (chats.json and one Markdown file per chat).
import { exportChats } from "@/lib/account/export-chats";
import { route } from "@/lib/http/route";

export const GET = route.user("account.export", async ({ services, viewer }) => {
  const { fileName, archive } = await exportChats(services, viewer);
  return new Response(archive, {
    headers: {
      "Content-Type": "application/zip",
      "Content-Disposition": `attachment; filename="${fileName}"`,
      "Cache-Control": "private, no-store",
    },
  });
});
