// Versions of regenerated and edited turns on the embedded drivers: PGlite (with the same migrations) and the in-process hot store.
import { chatVersionsSuite } from "./support/chat-versions-suite";

chatVersionsSuite("embedded");
