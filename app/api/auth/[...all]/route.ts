// /api/auth/*: sign-up, sign-in, sign-out, guest sessions (better-auth behind Stampede's limits).
import { authErrorResponse, handleAuthRequest } from "@/lib/auth/auth-request";
import { route } from "@/lib/http/route";
import { getServices } from "@/lib/services";

const handle = route("auth", async (request) => handleAuthRequest(await getServices(), request), {
  // Emails, passwords and names: nothing an account form sends comes near it.
  maxBodyBytes: 16 * 1024,
  errorResponse: authErrorResponse,
});

export const GET = handle;
export const POST = handle;
