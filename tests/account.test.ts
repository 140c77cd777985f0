// Export and deletion of an account on PostgreSQL and Redis (tests/support/account-suite.ts).
import { accountSuite } from "./support/account-suite";

accountSuite("services");
