/**
 * Child processes the bench starts and watches: the provider double, `next start`, the naive
 * baseline server. Each is started directly with node (never through npx), so a signal reaches
 * the process that serves, and each is stopped by its own pid.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface Child {
  name: string;
  process: ChildProcess;
  /** Everything the process wrote, for the error message if it dies. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

export function startChild(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; echo?: boolean },
): Child {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env } as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    if (options.echo) process.stderr.write(`[${name}] ${text}`);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    name,
    process: child,
    output: () => output,
    exited,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `url` answers 2xx (or the process dies, or the timeout passes). */
export async function waitForHttp(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) {
      throw new Error(`${child.name} exited with ${child.process.exitCode} before answering:\n${child.output()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return;
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = String(error);
    }
    await sleep(200);
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms (${lastError}):\n${child.output()}`);
}

/** Reads the first line a process prints on stdout (the provider double prints its URL). */
export async function firstLine(child: Child, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = child.output().split("\n").find((entry) => entry.startsWith("http"));
    if (line) return line.trim();
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited early:\n${child.output()}`);
    await sleep(50);
  }
  throw new Error(`${child.name} printed nothing within ${timeoutMs} ms:\n${child.output()}`);
}

/** The node binary and the entry points the bench runs, resolved from the project root. */
export function binaries(root: string) {
  return {
    node: process.execPath,
    next: path.join(root, "node_modules", "next", "dist", "bin", "next"),
    tsx: path.join(root, "node_modules", "tsx", "dist", "cli.mjs"),
  };
}

const PAGE_SIZE = 4096;

/** Resident memory of a process and all its descendants, in bytes, read from /proc. */
export function treeRssBytes(rootPid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may contain spaces and parentheses: fields start after the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const parent = Number(fields[1]);
      const list = children.get(parent) ?? [];
      list.push(Number(entry));
      children.set(parent, list);
    } catch {
      // The process ended while we looked.
    }
  }
  let total = 0;
  const pending = [rootPid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    try {
      const statm = readFileSync(`/proc/${pid}/statm`, "utf8").split(" ");
      total += Number(statm[1]) * PAGE_SIZE;
    } catch {
      continue;
    }
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Samples a process tree's RSS every `everyMs` until stopped; reports the peak and the last value. */
export function sampleRss(rootPid: number, everyMs = 250) {
  let peak = 0;
  let last = 0;
  let samples = 0;
  const take = () => {
    last = treeRssBytes(rootPid);
    samples += 1;
    if (last > peak) peak = last;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    /** Starts a new peak from now (e.g. at the start of a phase). */
    resetPeak() {
      take();
      peak = last;
    },
    read: () => ({ peakBytes: peak, lastBytes: last, samples }),
    stop() {
      clearInterval(timer);
      return { peakBytes: peak, lastBytes: last, samples };
    },
  };
}
