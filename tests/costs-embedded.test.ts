// Costs and budgets on embedded defaults: PGlite, the in-process hot store and limiter (tests/support/costs-suite.ts).
import { costsSuite } from "./support/costs-suite";

costsSuite("embedded");
