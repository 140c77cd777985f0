// Versions of regenerated and edited turns on PostgreSQL and Redis.
import { chatVersionsSuite } from "./support/chat-versions-suite";

chatVersionsSuite("services");
