// Titles written by the model on the embedded drivers: PGlite and the in-process hot store.
import { titlesSuite } from "./support/titles-suite";

titlesSuite("embedded");
