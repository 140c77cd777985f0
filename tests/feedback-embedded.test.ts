// Feedback on replies on the embedded drivers: PGlite (with the same migrations) and the in-process hot store.
import { feedbackSuite } from "./support/feedback-suite";

feedbackSuite("embedded");
