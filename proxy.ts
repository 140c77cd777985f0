/**
 * Next.js answers a path segment that is not valid percent-encoding (`/api/chat/%ff%fe/stream`)
 * with a bare 500 before any route handler runs. This proxy answers such API paths with the
 * app's typed 400 instead. It runs only on paths holding a `%`: a proxy makes Next copy the
 * request body, which every other route must be spared (lib/http/route.ts caps bodies itself).
 */
import { NextResponse, type NextRequest } from "next/server";
import { AppError, errorBody } from "@/lib/errors";

export const config = { matcher: "/api/:path(.*%.*)" };

export function proxy(request: NextRequest): NextResponse {
  const raw = new URL(request.url).pathname;
  try {
    for (const segment of raw.split("/")) decodeURIComponent(segment);
  } catch {
    const error = new AppError("invalid_request", "The path is not valid percent-encoded UTF-8.");
    return NextResponse.json(errorBody(error), { status: error.status });
  }
  return NextResponse.next();
}
