// The chat list's search and rename on PostgreSQL and Redis.
import { chatListSuite } from "./support/chat-list-suite";

chatListSuite("services");
