/**
 * A real Inngest server for the Inngest suite: `inngest dev` (the binary `npm test` found or
 * built, in TEST_INNGEST_BIN: scripts/test/inngest-binary.ts) on a free loopback port, calling the
 * app back at `sdkUrl`. Only one runs at a time on a machine: its executor binds fixed gRPC ports.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { freeLoopbackPort } from "@/scripts/test/free-port";

export const INNGEST_BIN = process.env.TEST_INNGEST_BIN;

export interface InngestServer {
  url: string;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function startInngestDev({ sdkUrl }: { sdkUrl: string }): Promise<InngestServer> {
  if (!INNGEST_BIN) throw new Error("TEST_INNGEST_BIN is not set: run the suite through `npm test` (scripts/test/run.ts)");
  const [port, gatewayPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child: ChildProcess = spawn(
    INNGEST_BIN,
    // The app is synced explicitly (syncApp), not found by polling or discovery.
    ["dev", "--host", "127.0.0.1", "-p", String(port), "--connect-gateway-port", String(gatewayPort), "-u", sdkUrl, "--no-discovery", "--no-poll"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-100_000));
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`inngest dev exited (${child.exitCode}):\n${output.slice(-3000)}`);
    const healthy = await fetch(`${url}/health`).then((response) => response.ok, () => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`inngest dev did not answer on ${url} within 30 s:\n${output.slice(-3000)}`);
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
