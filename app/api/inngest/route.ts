// /api/inngest: the Inngest serve endpoint (function registry and execution). Without Inngest
// configured (the in-process runner does the jobs) it is not in use and answers 404, rather than
// letting anyone call Inngest's handler, which answers 500 to a request for an unknown function.
import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest/functions";
import { getConfig } from "@/lib/config";
import { notFound } from "@/lib/errors";
import { route } from "@/lib/http/route";

// How long the platform lets this function run (Vercel reads it; Next needs a literal here). The
// Inngest client's checkpointing.maxRuntime (inngest/client.ts) stays below it.
export const maxDuration = 300;

// With keys (Inngest Cloud, `inngest start`) every request must be signed, syncs included: an
// unsigned PUT would otherwise have the SDK register the app at the URL the request claims.
const handlers = serve({ client: inngest, functions, enableUnauthedSync: false });

// Inngest's Next.js handler reads only what any Request has. Copying a body-less request into a
// NextRequest failed in the production build (its Request is of another realm: a GET answered 500).
type Handler = (request: Request, context: unknown) => Promise<Response>;

// Inngest sends a run's state inline up to 4 MiB (larger state it has the SDK fetch), plus the
// triggering events: 10 MiB holds that with room, and no more reaches Inngest's handler.
const MAX_INNGEST_BODY_BYTES = 10 * 1024 * 1024;

function whenInngest(handler: Handler) {
  return route(
    "inngest",
    async (request) => {
      if (getConfig().jobs.driver !== "inngest") throw notFound("Page");
      return handler(request, undefined);
    },
    { maxBodyBytes: MAX_INNGEST_BODY_BYTES },
  );
}

export const GET = whenInngest(handlers.GET as Handler);
export const POST = whenInngest(handlers.POST as Handler);
export const PUT = whenInngest(handlers.PUT as Handler);
