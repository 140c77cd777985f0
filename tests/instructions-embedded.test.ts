// Custom instructions on the embedded drivers: PGlite (with the same migrations) and the in-process hot store.
import { instructionsSuite } from "./support/instructions-suite";

instructionsSuite("embedded");
