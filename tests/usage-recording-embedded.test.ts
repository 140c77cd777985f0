// The usage promises on the embedded drivers: PGlite, and the in-process hot store and limiter.
import { usageRecordingSuite } from "./support/usage-recording-suite";

usageRecordingSuite("embedded");
