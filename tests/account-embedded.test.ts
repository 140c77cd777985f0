// Export and deletion of an account on the embedded drivers: PGlite and the in-process hot store.
import { accountSuite } from "./support/account-suite";

accountSuite("embedded");
