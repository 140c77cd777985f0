// Titles written by the model on PostgreSQL and Redis.
import { titlesSuite } from "./support/titles-suite";

titlesSuite("services");
