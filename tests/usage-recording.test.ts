// The usage promises on PostgreSQL and Redis (tests/support/usage-recording-suite.ts).
import { usageRecordingSuite } from "./support/usage-recording-suite";

usageRecordingSuite("services");
