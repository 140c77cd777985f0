/**
 * `npm run admin -- grant <email>` / `npm run admin -- revoke <email>`: gives or takes the admin
 * role, for the first admin when no mail can reach ADMIN_EMAIL, or to repair access. Run it where
 * the app's database is reachable, with the app's configuration: PostgreSQL when DATABASE_URL is
 * set, otherwise the embedded PGlite database under DATA_DIR, which only one process may open,
 * so stop the server first. Each change is written to the audit log as "operator (cli)".
 *
 * Exit codes: 0 done (or nothing to change), 1 no such account or the database failed, 2 usage.
 */
import { existsSync } from "node:fs";
import { OPERATOR_CLI, setRoleByEmail } from "../lib/admin/admin-role";
import { getConfig } from "../lib/config";
import { createDatabase } from "../lib/db/client";
import { AppError } from "../lib/errors";
import { createHotStore } from "../lib/hot/create-hot-store";

const USAGE = "usage: npm run admin -- grant <email> | revoke <email>";

async function main(args: string[]): Promise<number> {
  const [command, email, ...rest] = args;
  if ((command !== "grant" && command !== "revoke") || !email || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const config = getConfig();
  if (config.database.driver === "pglite") {
    // PGlite would create an empty database in a mistyped DATA_DIR and report "no account".
    if (!existsSync(config.database.dataDir)) {
      console.error(`No embedded database in ${config.database.dataDir}: run this from the app's folder, or set DATA_DIR or DATABASE_URL as the server has them.`);
      return 1;
    }
    console.log(`Embedded database in ${config.database.dataDir}: the server must not be running while this runs.`);
  }
  const db = await createDatabase(config.database);
  const hot = createHotStore(config.hot);
  try {
    const change = await setRoleByEmail({ db, hot }, OPERATOR_CLI, { email, role: command === "grant" ? "admin" : "user" });
    const now = change.to === "admin" ? "an admin" : "not an admin";
    console.log(
      change.changed
        ? `${change.email} is now ${now} (audited as ${OPERATOR_CLI.userId}); it applies from their next request.`
        : `${change.email} is already ${now}: nothing changed.`,
    );
    return 0;
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") {
      console.error(`${error.message} The person signs up first; then run this again.`);
      return 1;
    }
    throw error;
  } finally {
    await hot.close();
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error("Admin command failed:", error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
