// Attachments on PostgreSQL and Redis, with files in the local object store.
import { attachmentsSuite } from "./support/attachments-suite";

attachmentsSuite("services");
