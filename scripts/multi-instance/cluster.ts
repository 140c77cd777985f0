/**
 * Several Stampede instances on one PostgreSQL and one Redis, behind nginx (least_conn): the
 * topology `npm run multi-instance` starts and tests/multi-instance.test.ts exercises. Each
 * instance is `npm start`'s server (scripts/server.mts) on the build in `.next`, started with node
 * directly so SIGKILL reaches the server itself. nginx runs in the foreground as a child process
 * on deploy/nginx.conf itself, templated only for the local ports and upstreams
 * (templateDeployNginxConfig); without nginx
 * (or with `nginx: false`), clients address the instances directly.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { serverNodeOptions } from "../server-node-options";
import { assertPortFree } from "../test/free-port";

export interface ClusterOptions {
  /** Project root holding the build (`.next`). */
  root: string;
  /** One instance per port (default 3601, 3602, 3603). */
  ports?: number[];
  /** nginx's port (default 3600). */
  nginxPort?: number;
  /** Environment every instance gets (DATABASE_URL, REDIS_URL, OPENAI_BASE_URL, …). */
  env: Record<string, string>;
  /** false: no nginx even when installed. */
  nginx?: boolean;
  /** Print the instances' output with a prefix. */
  echo?: boolean;
  /** When an instance counts as started: `/api/health` answers 200 (default), or answers at all (a test of a broken driver). */
  readyWhen?: "healthy" | "answering";
}

export interface Instance {
  name: string;
  port: number;
  url: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Everything the instance printed, for failure messages. */
  output(): string;
  /** Sends a signal (SIGKILL: no cleanup, as a crash) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port, with the same environment. */
  restart(): Promise<void>;
}

export interface Cluster {
  instances: Instance[];
  /** Where clients go: nginx, or the first instance without it. */
  url: string;
  /** True when nginx fronts the instances. */
  balanced: boolean;
  /** nginx's command line (configuration, prefix, globals) when it runs: `nginx -T` with them prints what it loaded. */
  nginxArgs?: string[];
  stop(): Promise<void>;
}

export function nginxAvailable(): boolean {
  return spawnSync("nginx", ["-v"], { stdio: "ignore" }).status === 0;
}

export function hasBuild(root: string): boolean {
  return existsSync(path.join(root, ".next", "BUILD_ID"));
}

/** The nginx configuration of the Docker topology, which the cluster runs itself (templated, never copied). */
export const DEPLOY_NGINX_CONF = path.join("deploy", "nginx.conf");

/**
 * deploy/nginx.conf for local instances: only the listening address and the upstream servers
 * change, plus one `include` at the top of its `http` block for what running as a child process
 * in a temporary folder needs (`runtimeInclude`). Every other setting is the file's own, so what
 * the tests exercise is what Docker deploys. Throws when the file no longer has the one `listen`
 * and the one upstream `server` it is templated at, rather than running something else.
 */
export function templateDeployNginxConfig(
  deployConfig: string,
  { port, upstreams, runtimeInclude }: { port: number; upstreams: number[]; runtimeInclude: string },
): string {
  const substitutions: [RegExp, (match: string, ...groups: string[]) => string][] = [
    [/^(\s*)listen\s+80\s*;/m, (_match, indent) => `${indent}listen 127.0.0.1:${port};`],
    // The address changes; the server parameters (max_fails, fail_timeout) stay the file's.
    [
      /^(\s*)server\s+app:3000(\s[^;]*)?;/m,
      (_match, indent, parameters = "") => upstreams.map((upstream) => `${indent}server 127.0.0.1:${upstream}${parameters};`).join("\n"),
    ],
    [/^(\s*)http\s*\{/m, (match, indent) => `${match}\n${indent}  include ${runtimeInclude};`],
  ];
  let config = deployConfig;
  for (const [pattern, replace] of substitutions) {
    const matches = config.match(new RegExp(pattern.source, "gm"))?.length ?? 0;
    if (matches !== 1) throw new Error(`${DEPLOY_NGINX_CONF}: expected exactly one match of ${pattern}, found ${matches}`);
    config = config.replace(pattern, replace);
  }
  return config;
}

/**
 * The `http`-level additions for a child-process nginx in `dir`: temp paths it can write (the
 * compiled-in ones under /var/lib/nginx need root), and a header naming the instance that answered,
 * so a test can see the balancing. deploy/nginx.conf sets no add_header, so every location inherits it.
 */
function runtimeHttpSettings(dir: string): string {
  return `# Written by scripts/multi-instance/cluster.ts: running deploy/nginx.conf unprivileged in ${dir}.
client_body_temp_path ${dir}/client_body;
proxy_temp_path ${dir}/proxy;
fastcgi_temp_path ${dir}/fastcgi;
uwsgi_temp_path ${dir}/uwsgi;
scgi_temp_path ${dir}/scgi;
add_header X-Upstream $upstream_addr always;
`;
}

/** nginx's command line for the templated configuration: main-context settings go in as `-g`. */
function nginxArguments(dir: string, configFile: string): string[] {
  const runningAsRoot = typeof process.getuid === "function" && process.getuid() === 0;
  // As root, workers would switch to the compiled-in user, which cannot read the temporary folder.
  const globals = `daemon off; pid ${dir}/nginx.pid;${runningAsRoot ? " user root;" : ""}`;
  return ["-p", dir, "-c", configFile, "-e", `${dir}/error.log`, "-g", globals];
}

/** Writes the templated deploy/nginx.conf and its runtime settings into `dir`; returns nginx's arguments. */
export function prepareNginx({ root, dir, port, upstreams }: { root: string; dir: string; port: number; upstreams: number[] }): string[] {
  for (const sub of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(path.join(dir, sub));
  const runtimeInclude = path.join(dir, "runtime-http.conf");
  writeFileSync(runtimeInclude, runtimeHttpSettings(dir));
  const configFile = path.join(dir, "nginx.conf");
  const deployConfig = readFileSync(path.join(root, DEPLOY_NGINX_CONF), "utf8");
  writeFileSync(configFile, templateDeployNginxConfig(deployConfig, { port, upstreams, runtimeInclude }));
  return nginxArguments(dir, configFile);
}

function prefixLines(prefix: string, text: string): string {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => `[${prefix}] ${line}\n`)
    .join("");
}

async function waitForHealth(
  url: string,
  isAlive: () => boolean,
  output: () => string,
  timeoutMs: number,
  readyWhen: ClusterOptions["readyWhen"] = "healthy",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`${url} exited before it answered:\n${output()}`);
    try {
      const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok || readyWhen === "answering") return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await sleep(150);
  }
  throw new Error(`${url} did not become healthy within ${timeoutMs} ms (${last}):\n${output()}`);
}

function startInstance(
  root: string,
  name: string,
  port: number,
  env: Record<string, string>,
  echo: boolean,
  readyWhen: ClusterOptions["readyWhen"],
): { instance: Instance; ready: () => Promise<void> } {
  let child: ChildProcess | undefined;
  let output = "";
  let exited: Promise<void> = Promise.resolve();
  const url = `http://127.0.0.1:${port}`;

  const launch = () => {
    output = "";
    const server = path.join(root, "scripts", "server.mts");
    const spawned = spawn(process.execPath, [server, "-p", String(port), "-H", "127.0.0.1"], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        NODE_ENV: "production",
        // As `npm start` runs it.
        NODE_OPTIONS: serverNodeOptions(root),
        // Whether the model writes titles (lib/titles): the caller's choice, as the test run sets it.
        ...(process.env.CHAT_TITLES && { CHAT_TITLES: process.env.CHAT_TITLES }),
        ...env,
        PORT: String(port),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-50_000);
      if (echo) process.stdout.write(prefixLines(name, text));
    };
    spawned.stdout?.on("data", collect);
    spawned.stderr?.on("data", collect);
    exited = new Promise((resolve) => spawned.once("exit", () => resolve()));
    child = spawned;
  };
  launch();

  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const instance: Instance = {
    name,
    port,
    url,
    get pid() {
      return child?.pid;
    },
    get running() {
      return running();
    },
    output: () => output,
    async kill(signal = "SIGTERM") {
      if (!running()) return;
      child!.kill(signal);
      const timer = setTimeout(() => child?.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async restart() {
      if (running()) {
        child!.kill("SIGTERM");
        await exited;
      }
      launch();
      await waitForHealth(url, running, () => output, 60_000, readyWhen);
    },
  };
  return { instance, ready: () => waitForHealth(url, running, () => output, 90_000, readyWhen) };
}

/** Starts the instances (in parallel) and nginx in front of them; resolves when all answer. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { root, ports = [3601, 3602, 3603], nginxPort = 3600, echo = false } = options;
  if (!hasBuild(root)) throw new Error(`No build in ${root}/.next: run \`npm run build\` first.`);
  // A server already there would answer the health checks in place of ours.
  for (const port of options.nginx === false ? ports : [...ports, nginxPort]) await assertPortFree(port);
  const names = ["A", "B", "C", "D", "E", "F", "G", "H"];
  const started = ports.map((port, i) => startInstance(root, names[i] ?? `#${i}`, port, options.env, echo, options.readyWhen));
  const instances = started.map((entry) => entry.instance);
  let nginx: ChildProcess | undefined;
  let nginxDir: string | undefined;
  const stop = async () => {
    if (nginx && nginx.exitCode === null) {
      const gone = new Promise((resolve) => nginx!.once("exit", resolve));
      nginx.kill("SIGQUIT");
      const timer = setTimeout(() => nginx?.kill("SIGKILL"), 5000);
      await gone;
      clearTimeout(timer);
    }
    await Promise.all(instances.map((instance) => instance.kill("SIGTERM")));
    if (nginxDir) rmSync(nginxDir, { recursive: true, force: true });
  };
  try {
    await Promise.all(started.map((entry) => entry.ready()));
    const useNginx = options.nginx !== false && nginxAvailable();
    if (!useNginx) return { instances, url: instances[0].url, balanced: false, stop };

    nginxDir = mkdtempSync(path.join(os.tmpdir(), "stampede-nginx-"));
    const nginxArgs = prepareNginx({ root, dir: nginxDir, port: nginxPort, upstreams: ports });
    let nginxOutput = "";
    nginx = spawn("nginx", nginxArgs, { stdio: ["ignore", "pipe", "pipe"] });
    nginx.stdout?.on("data", (chunk: Buffer) => (nginxOutput += chunk.toString()));
    nginx.stderr?.on("data", (chunk: Buffer) => (nginxOutput += chunk.toString()));
    const url = `http://127.0.0.1:${nginxPort}`;
    const alive = () => nginx!.exitCode === null;
    await waitForHealth(url, alive, () => nginxOutput, 15_000);
    return { instances, url, balanced: true, nginxArgs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
