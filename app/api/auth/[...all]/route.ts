// /api/auth/*: sign-up, sign-in, sign-out, guest sessions (better-auth behind Stampede's limits).
import { handleAuthRequest } from "@/lib/auth/auth-request";
import { route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

const handle = route("auth", async (request) => handleAuthRequest(await getServices(), request));

export const GET = handle;
export const POST = handle;
