/**
 * The V8 heap settings `npm start` gives the server (package.json config.serverNodeOptions; the
 * README's Self-hosting section says why), for the scripts that start `next start` themselves.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

export function serverNodeOptions(root: string): string {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { config: { serverNodeOptions: string } };
  return manifest.config.serverNodeOptions;
}
