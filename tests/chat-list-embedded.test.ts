// The chat list's search and rename on the embedded drivers: PGlite (with the same migrations) and the in-process hot store.
import { chatListSuite } from "./support/chat-list-suite";

chatListSuite("embedded");
