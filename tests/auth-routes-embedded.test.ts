// The /api/auth promises on the embedded drivers: PGlite, and the in-process hot store and limiter.
import { authRoutesSuite } from "./support/auth-routes-suite";

authRoutesSuite("embedded");
