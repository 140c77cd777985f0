/**
 * Inngest's server for the test run: `INNGEST_BIN` when given, else the binary built earlier from
 * tools/inngest (kept in the user's cache folder, one per pinned release), else built now with the
 * machine's Go toolchain (several minutes the first time; Go caches the modules and packages).
 * Without Go and without INNGEST_BIN there is no binary, and the Inngest suite says so.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const TOOLS_MODULE = path.resolve(__dirname, "../../tools/inngest");

function pinnedRelease(): string {
  const goMod = readFileSync(path.join(TOOLS_MODULE, "go.mod"), "utf8");
  const release = goMod.match(/^require github\.com\/inngest\/inngest (v\S+)$/m)?.[1];
  if (!release) throw new Error(`${TOOLS_MODULE}/go.mod does not require github.com/inngest/inngest`);
  return release;
}

/** The first Go on PATH (or in /usr/local/go) recent enough for tools/inngest/go.mod: 1.24 or newer. */
function goToolchain(env: NodeJS.ProcessEnv): string | undefined {
  const dirs = [...(env.PATH ?? "").split(path.delimiter), "/usr/local/go/bin"].filter(Boolean);
  return dirs
    .map((dir) => path.join(dir, "go"))
    .filter((candidate) => existsSync(candidate))
    .find((candidate) => {
      const minor = /\bgo1\.(\d+)/.exec(spawnSync(candidate, ["version"], { encoding: "utf8" }).stdout ?? "")?.[1];
      return minor !== undefined && Number(minor) >= 24;
    });
}

export type InngestBinary = { path: string; origin: string } | { missing: string };

export function provideInngestBinary(env: NodeJS.ProcessEnv): InngestBinary {
  if (env.INNGEST_BIN) {
    if (!existsSync(env.INNGEST_BIN)) throw new Error(`INNGEST_BIN names no file: ${env.INNGEST_BIN}`);
    return { path: env.INNGEST_BIN, origin: `Inngest at INNGEST_BIN` };
  }
  const release = pinnedRelease();
  const cacheRoot = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  const cached = path.join(cacheRoot, "stampede", `inngest-${release}`, "inngest");
  if (existsSync(cached)) return { path: cached, origin: `Inngest ${release} (built earlier, ${cached})` };

  const go = goToolchain(env);
  if (!go) {
    return {
      missing:
        `no Inngest server: no Go 1.24 or newer to build ${release} from tools/inngest, and INNGEST_BIN is not set. ` +
        "Install Go 1.24 or newer, or point INNGEST_BIN at an `inngest` binary.",
    };
  }
  console.log(`\n== building Inngest ${release} from tools/inngest with ${go} (once; it is kept in ${path.dirname(cached)})\n`);
  mkdirSync(path.dirname(cached), { recursive: true });
  const partial = `${cached}.partial`;
  const build = spawnSync(go, ["build", "-o", partial, "github.com/inngest/inngest/cmd"], {
    cwd: TOOLS_MODULE,
    stdio: "inherit",
    env: { ...env, GOFLAGS: "-mod=mod", CGO_ENABLED: env.CGO_ENABLED ?? "0" },
  });
  if (build.status !== 0) throw new Error(`building Inngest ${release} failed (go build exit ${build.status})`);
  renameSync(partial, cached);
  return { path: cached, origin: `Inngest ${release} (built now, ${cached})` };
}
