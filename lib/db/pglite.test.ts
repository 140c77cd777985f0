import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabase } from "./client";
import { describeDatabaseContract } from "./database.contract";

const root = await mkdtemp(path.join(tmpdir(), "stampede-pglite-"));

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describeDatabaseContract("PGlite", {
  // A folder that does not exist yet: createDatabase must make it.
  open: () => createDatabase({ driver: "pglite", dataDir: path.join(root, "contract", "pglite") }),
  dispose: () => rm(path.join(root, "contract"), { recursive: true, force: true }),
});

describe("PGlite persistence", () => {
  it("keeps data in its folder across close and reopen", async () => {
    const dataDir = path.join(root, "persistence");
    const first = await createDatabase({ driver: "pglite", dataDir });
    await first.migrate();
    await first.prisma.user.create({ data: { id: "kept-user", name: "Kept", email: "kept@example.test" } });
    await first.close();

    const second = await createDatabase({ driver: "pglite", dataDir });
    try {
      const user = await second.prisma.user.findUnique({ where: { id: "kept-user" } });
      expect(user).toMatchObject({ email: "kept@example.test", tier: "guest", role: "user", isAnonymous: false });
    } finally {
      await second.close();
    }
  });
});
