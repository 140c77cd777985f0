/**
 * `npm run db:migrate`: applies prisma/migrations to the configured database: PostgreSQL when
 * DATABASE_URL is set, otherwise the embedded PGlite database under DATA_DIR (default .data).
 */
import { getConfig } from "../lib/config";
import { createDatabase } from "../lib/db/client";

/** The URL without its password, fit for a log line. */
function describeUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

async function main(): Promise<void> {
  const { database } = getConfig();
  const target =
    database.driver === "postgres" ? `PostgreSQL at ${describeUrl(database.url)}` : `embedded PGlite in ${database.dataDir}`;
  const db = await createDatabase(database);
  try {
    const applied = await db.migrate();
    console.log(
      applied.length === 0
        ? `${target}: already up to date.`
        : `${target}: applied ${applied.length} migration(s): ${applied.join(", ")}.`,
    );
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error("Migration failed:", error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
