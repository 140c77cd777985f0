// Feedback on replies on PostgreSQL and Redis.
import { feedbackSuite } from "./support/feedback-suite";

feedbackSuite("services");
