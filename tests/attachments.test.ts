// Attachments on PostgreSQL and Redis, with the files in an S3-compatible server (s3rver) started for the run.
import { attachmentsSuite } from "./support/attachments-suite";

attachmentsSuite("services", { storage: "s3" });
