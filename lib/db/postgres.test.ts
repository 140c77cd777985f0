import { createScratchPostgres } from "../../tests/support/scratch";
import { createDatabase } from "./client";
import { describeDatabaseContract } from "./database.contract";

// A database of its own per run, so parallel runs and leftovers from earlier ones cannot interfere.
let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;

describeDatabaseContract("PostgreSQL", {
  async open() {
    scratch = await createScratchPostgres();
    return createDatabase({ driver: "postgres", url: scratch.url, poolMax: 4 });
  },
  async dispose() {
    await scratch.drop();
  },
});
