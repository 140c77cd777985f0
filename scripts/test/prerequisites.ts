/**
 * What some test files need from the machine beyond PostgreSQL and Redis, and the one way to do
 * without it: `TEST_WITHOUT`, a comma-separated list of opt-outs (today only `nginx`). A missing
 * prerequisite fails the file with what to install or run, so a fresh machine cannot pass by
 * silently skipping.
 */
import { hasBuild, nginxAvailable } from "../multi-instance/cluster";

const OPT_OUTS = ["nginx"] as const;
type OptOut = (typeof OPT_OUTS)[number];

function optOuts(): Set<string> {
  const listed = (process.env.TEST_WITHOUT ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  const unknown = listed.filter((entry) => !(OPT_OUTS as readonly string[]).includes(entry));
  if (unknown.length > 0) throw new Error(`TEST_WITHOUT names unknown prerequisites (${unknown.join(", ")}); known: ${OPT_OUTS.join(", ")}.`);
  return new Set(listed);
}

export function optedOut(name: OptOut): boolean {
  return optOuts().has(name);
}

/** The production build in `.next` that `next start` serves; throws naming the command that makes it. */
export function requireBuild(root: string): void {
  if (!hasBuild(root)) {
    throw new Error(`No production build in ${root}/.next: run \`npm run build\` first (\`npm test\` builds before it tests).`);
  }
}

/** Whether nginx fronts the cluster: false when opted out, true when installed; throws otherwise. */
export function requireNginx(): boolean {
  if (optedOut("nginx")) return false;
  if (nginxAvailable()) return true;
  throw new Error(
    "nginx is not installed, and the multi-instance test runs deploy/nginx.conf in front of the instances: " +
      "install it (`apt-get install nginx-light`, or your system's nginx package), " +
      "or run without it on purpose with TEST_WITHOUT=nginx.",
  );
}
