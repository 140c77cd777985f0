/**
 * A real Inngest server for the Inngest suite (the binary `npm test` found or built, in
 * TEST_INNGEST_BIN: scripts/test/inngest-binary.ts) on a free loopback port, calling the app back
 * at `sdkUrl`: `inngest dev`, or `inngest start` (self-hosted mode) with event and signing keys
 * given as docker-compose.yml gives them, in INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY. Only one
 * runs at a time on a machine: its executor binds fixed gRPC ports.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freeLoopbackPort } from "@/scripts/test/free-port";
import { waitFor } from "./wait-for";

export const INNGEST_BIN = process.env.TEST_INNGEST_BIN;

export interface InngestServer {
  url: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Self-hosted mode's keys: the app is configured with the same two values. */
export interface InngestKeys {
  eventKey: string;
  signingKey: string;
}

export async function startInngestDev({ sdkUrl }: { sdkUrl: string }): Promise<InngestServer> {
  // The app is synced explicitly (syncApp), not found by polling or discovery.
  return startInngest("dev", ["-u", sdkUrl, "--no-discovery", "--no-poll"], {});
}

/** `inngest start` with its state in a scratch SQLite folder and its own in-memory Redis. */
export async function startInngestSelfHosted({ sdkUrl, keys }: { sdkUrl: string; keys: InngestKeys }): Promise<InngestServer> {
  const sqliteDir = mkdtempSync(path.join(os.tmpdir(), "stampede-inngest-"));
  const server = await startInngest("start", ["-u", sdkUrl, "--sqlite-dir", sqliteDir], {
    INNGEST_EVENT_KEY: keys.eventKey,
    INNGEST_SIGNING_KEY: keys.signingKey,
  }).catch((error: unknown) => {
    rmSync(sqliteDir, { recursive: true, force: true });
    throw error;
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      rmSync(sqliteDir, { recursive: true, force: true });
    },
  };
}

async function startInngest(command: "dev" | "start", args: string[], env: Record<string, string>): Promise<InngestServer> {
  if (!INNGEST_BIN) throw new Error("TEST_INNGEST_BIN is not set: run the suite through `npm test` (scripts/test/run.ts)");
  const [port, gatewayPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child: ChildProcess = spawn(
    INNGEST_BIN,
    [command, "--host", "127.0.0.1", "-p", String(port), "--connect-gateway-port", String(gatewayPort), ...args],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
  );
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-100_000));
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`inngest ${command} exited (${child.exitCode}):\n${output.slice(-3000)}`);
    const healthy = await fetch(`${url}/health`).then((response) => response.ok, () => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`inngest ${command} did not answer on ${url} within 30 s:\n${output.slice(-3000)}`);
    }
    await sleep(100);
  }
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Registers the app's functions with the server, as a deploy's sync does: the SDK answers a PUT
 * on its serve route by sending its function list to INNGEST_BASE_URL.
 */
export async function syncApp(sdkUrl: string): Promise<void> {
  const response = await fetch(sdkUrl, { method: "PUT" });
  const body = await response.text();
  if (!response.ok) throw new Error(`syncing ${sdkUrl} failed: ${response.status} ${body}`);
}

/**
 * Waits for the server's own sync of the app (`-u`): `inngest start` pings the SDK URL, with a
 * signed PUT, every 5 s until the app answers, as it does in docker-compose.yml. Read from the
 * server's GraphQL API (its dashboard's, unauthenticated in 1.12: why 8288 is never published).
 */
export async function waitForServerSync(inngest: InngestServer, sdkUrl: string): Promise<void> {
  await waitFor(
    `the app at ${sdkUrl} synced by the Inngest server`,
    async () => {
      const response = await fetch(`${inngest.url}/v0/gql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ apps { url error functionCount } }" }),
      });
      const { data } = (await response.json()) as { data?: { apps: { url: string; error: string | null; functionCount: number }[] } };
      return data?.apps;
    },
    // The server's only app, under the URL the SDK registered (1.12 spells 127.0.0.1 as
    // localhost, and keeps the `-u` entry it could not reach at first beside it).
    (apps) => apps?.some((app) => !app.error && app.functionCount > 0) === true,
    { timeoutMs: 30_000, everyMs: 250 },
  );
}
