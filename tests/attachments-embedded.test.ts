// Attachments on the embedded drivers: PGlite, the in-process hot store, files under DATA_DIR.
import { attachmentsSuite } from "./support/attachments-suite";

attachmentsSuite("embedded");
