// Costs and budgets on PostgreSQL and Redis (tests/support/costs-suite.ts).
import { costsSuite } from "./support/costs-suite";

costsSuite("services");
