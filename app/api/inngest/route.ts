// /api/inngest: the Inngest serve endpoint (function registry and execution). Without Inngest
// configured (the in-process runner does the jobs) it is not in use and answers 404, rather than
// letting anyone call Inngest's handler, which answers 500 to a request for an unknown function.
import type { NextRequest } from "next/server";
import { serve } from "inngest/next";
import { inngest } from "@/inngest/client";
import { functions } from "@/inngest/functions";
import { getConfig } from "@/lib/config";
import { notFound } from "@/lib/errors";
import { route } from "@/lib/http/route";

const handlers = serve({ client: inngest, functions });

type Handler = (request: NextRequest, context: unknown) => Promise<Response>;

const notServed = route("inngest", async () => {
  throw notFound("Page");
});

function whenInngest(handler: Handler): Handler {
  return (request, context) =>
    getConfig().jobs.driver === "inngest" ? handler(request, context) : notServed(request, { params: Promise.resolve(undefined) });
}

export const GET = whenInngest(handlers.GET as Handler);
export const POST = whenInngest(handlers.POST as Handler);
export const PUT = whenInngest(handlers.PUT as Handler);
