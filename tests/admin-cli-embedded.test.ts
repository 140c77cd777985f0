/**
 * `npm run admin` on the embedded database (DATA_DIR, no DATABASE_URL), as on a zero-configuration
 * server: with the server stopped, since only one process may open the PGlite files, it grants
 * the role, says that the server must not run meanwhile, and audits the change as the operator.
 * Its own file: the route-app tests read the process's configuration once.
 */
import { expect, it } from "vitest";
import { createDatabase } from "@/lib/db/client";
import { runAdminWith } from "./support/admin-command";
import { startTestApp } from "./support/app-services";
it("grants on the embedded database in DATA_DIR, saying the server must be stopped", async () => {
  const embedded = await startTestApp("embedded");
  const userId = await embedded.createUser("free");
  const { email } = await embedded.services.db.prisma.user.findUniqueOrThrow({ where: { id: userId } });
  const dataDir = embedded.services.config.dataDir;
  // Only one process may open the PGlite files: the "server" stops before the command runs.
  await embedded.services.db.close();
  try {
    const { DATABASE_URL: _database, REDIS_URL: _redis, ...env } = process.env;
    const result = await runAdminWith({ ...env, DATA_DIR: dataDir }, ["grant", email]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(result.stdout).toContain("the server must not be running while this runs");
    expect(result.stdout).toContain(`${email} is now an admin`);

    const reopened = await createDatabase(embedded.services.config.database);
    try {
      expect((await reopened.prisma.user.findUniqueOrThrow({ where: { id: userId } })).role).toBe("admin");
      expect(await reopened.prisma.auditLog.count({ where: { targetId: userId, actorId: "operator (cli)" } })).toBe(1);
    } finally {
      await reopened.close();
    }
  } finally {
    await embedded.dispose();
  }
}, 60_000);
