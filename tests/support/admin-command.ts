/** Runs the operator command (scripts/admin.ts) in a child process, as `npm run admin --` does. */
import { spawn } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** With this process's environment: the configuration the test's app was started with. */
export function runAdmin(...args: string[]): Promise<CommandResult> {
  return runAdminWith(process.env, args);
}

export function runAdminWith(env: NodeJS.ProcessEnv, args: string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), "scripts/admin.ts", ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
