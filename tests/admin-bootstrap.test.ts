/**
 * The first admin, over HTTP against `next start` (the build in .next) on embedded defaults, as
 * a zero-configuration server runs: ADMIN_EMAIL names the admin, and the role follows a verified
 * address, never a sign-up. A stranger who signs up first with the address in other letters is
 * an ordinary user (who can still chat); the owner who signs up with it is not an admin until the
 * verification link, read from the local outbox in DATA_DIR/mail, is followed; then the admin API
 * answers the same session and the grant is in the audit log.
 *
 * Needs a production build: run `npm run build` first (`npm test` builds before it tests).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "@/scripts/multi-instance/cluster";
import { requireBuild } from "@/scripts/test/prerequisites";
import { HttpUser, readStream } from "./support/http-user";
import { verificationLinkFor } from "./support/mail-outbox";
import { createScratchDir, uniqueSuffix } from "./support/scratch";

const ROOT = path.resolve(__dirname, "..");
requireBuild(ROOT);

const ADMIN_EMAIL = "owner@example.test";
const PASSWORD = "a long enough password";

interface Server {
  url: string;
  dataDir: string;
  output: () => string;
}

const cleanups: (() => Promise<void>)[] = [];
let userCount = 0;

/** One `next start` on embedded defaults with its own data folder: each test needs the address unclaimed. */
async function startServer(port: number): Promise<Server> {
  const dataDir = await createScratchDir();
  cleanups.push(dataDir.remove);
  const url = `http://127.0.0.1:${port}`;
  const cluster: Cluster = await startCluster({
    root: ROOT,
    ports: [port],
    nginx: false,
    env: { DATA_DIR: dataDir.dir, ADMIN_EMAIL, BETTER_AUTH_URL: url, TRUSTED_PROXY_HOPS: "1", LOG_LEVEL: "warn" },
  });
  cleanups.unshift(() => cluster.stop());
  return { url, dataDir: dataDir.dir, output: () => cluster.instances[0].output() };
}

function newUser(server: Server): HttpUser {
  userCount += 1;
  return new HttpUser(`198.51.100.${userCount}`, server.url);
}

async function adminStatus(server: Server, user: HttpUser): Promise<number> {
  const response = await user.get(server.url, "/api/admin/overview");
  await response.arrayBuffer();
  return response.status;
}

describe("the first admin, from ADMIN_EMAIL and a verified address", () => {
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  describe("a stranger who signs up first with the address in other letters", () => {
    let server: Server;
    let stranger: HttpUser;
    beforeAll(async () => {
      server = await startServer(3611);
      stranger = newUser(server);
    });

    it("gets an ordinary account that is refused the admin API, and can still chat", async () => {
      const signUp = await stranger.signUp(server.url, { email: "OWNER@Example.TEST", password: PASSWORD, name: "Stranger" });
      expect(signUp.status).toBe(200);
      expect(signUp.body.user).toMatchObject({ email: ADMIN_EMAIL, role: "user" });
      expect(await adminStatus(server, stranger)).toBe(403);

      const reply = await readStream(await stranger.send(server.url, { chatId: `c-${uniqueSuffix()}`, messageId: "m1", text: "Hello" }));
      expect({ status: reply.status, finished: reply.finished, error: reply.error }).toEqual({ status: 200, finished: true, error: undefined });
    });

    it("stays an ordinary account when the address's owner follows the link mailed to the stranger's sign-up", async () => {
      const link = await verificationLinkFor(path.join(server.dataDir, "mail"), ADMIN_EMAIL);
      // The owner reads the mail and opens it in their own browser: no session of the stranger's account.
      const mailboxOwner = newUser(server);
      const followed = await fetch(link, { headers: mailboxOwner.headers(), redirect: "manual" });
      await followed.arrayBuffer();
      expect(followed.status).toBe(302);
      expect(await adminStatus(server, stranger)).toBe(403);
      expect(server.output()).toContain("ADMIN_EMAIL verified outside its own session: admin not granted");
    });

    it("was told at boot that this production server, without SMTP, keeps its mail in the outbox", () => {
      expect(server.output()).toContain(`mail=outbox (no SMTP_URL: mail, verification links included, is written to ${path.join(server.dataDir, "mail")}`);
    });
  });

  describe("the owner who signs up with ADMIN_EMAIL", () => {
    let server: Server;
    let owner: HttpUser;
    beforeAll(async () => {
      server = await startServer(3612);
      owner = newUser(server);
      const signUp = await owner.signUp(server.url, { email: ADMIN_EMAIL, password: PASSWORD, name: "Owner" });
      expect(signUp.status).toBe(200);
    });

    it("is not an admin before the address is verified", async () => {
      expect(await adminStatus(server, owner)).toBe(403);
    });

    it("becomes an admin, in the same session, by following the link mailed to the outbox, and the grant is audited", async () => {
      const link = await verificationLinkFor(path.join(server.dataDir, "mail"), ADMIN_EMAIL);
      expect(link.startsWith(`${server.url}/api/auth/verify-email?`)).toBe(true);
      const followed = await fetch(link, { headers: owner.headers(), redirect: "manual" });
      await followed.arrayBuffer();
      expect(followed.status).toBe(302);

      expect(await adminStatus(server, owner)).toBe(200);
      const audit = await owner.get(server.url, "/api/admin/audit");
      expect(audit.status).toBe(200);
      const { entries } = (await audit.json()) as { entries: { action: string; actorId: string; details: unknown }[] };
      expect(entries).toContainEqual(
        expect.objectContaining({
          action: "user.role",
          actorId: "system (ADMIN_EMAIL verified)",
          details: expect.objectContaining({ from: "user", to: "admin", email: ADMIN_EMAIL }),
        }),
      );
    });
  });
});
