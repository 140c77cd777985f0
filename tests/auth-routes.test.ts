// The /api/auth promises on PostgreSQL and Redis (tests/support/auth-routes-suite.ts).
import { authRoutesSuite } from "./support/auth-routes-suite";

authRoutesSuite("services");
