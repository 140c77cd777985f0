// Custom instructions on PostgreSQL and Redis.
import { instructionsSuite } from "./support/instructions-suite";

instructionsSuite("services");
