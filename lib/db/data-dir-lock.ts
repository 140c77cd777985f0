/**
 * One process per embedded database. PGlite is Postgres in this process, with no server to share
 * it: two processes writing the same files (`npm run dev` in one terminal and `npm start`, or
 * `npm run admin` beside a running server) break the database for good. So the first process to
 * open a data folder claims it with a lock file naming itself, and any other is refused with a
 * message naming the folder and the owner. A lock whose process is gone (killed, crashed) is
 * taken over; the same process may open its folder again (Next.js loads the server code twice).
 */
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by another process (pid ${owner.pid} on ${owner.host}, ` +
        `started ${owner.startedAt}: ${owner.command}). Only one process may open it: stop that one, ` +
        `or give this one its own DATA_DIR (or set DATABASE_URL for a shared PostgreSQL).`,
    );
    this.name = "DataDirInUseError";
  }
}

/** The lock's file: beside the database folder, so removing the database leaves no stale lock inside it. */
function lockFileOf(databaseDir: string): string {
  return `${databaseDir}.lock`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is someone else's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

const claimed = new Set<string>();

/** Claims `databaseDir` for this process, or throws DataDirInUseError naming the process that has it. */
export function claimDataDir(databaseDir: string): void {
  const file = lockFileOf(path.resolve(databaseDir));
  if (claimed.has(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt += 1) {
    // Written whole, then linked into place: the lock never exists without its owner in it.
    const draft = `${file}.${process.pid}`;
    const self: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command: process.argv.slice(1).join(" ") };
    writeFileSync(draft, JSON.stringify(self));
    try {
      linkSync(draft, file);
      claimed.add(file);
      process.once("exit", () => removeIfOurs(file));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      unlinkSync(draft);
    }
    const owner = readOwner(file);
    if (owner?.pid === process.pid && owner.host === hostname()) {
      claimed.add(file);
      return;
    }
    // Another machine's process cannot be checked from here: a folder shared that way is refused.
    if (owner && (owner.host !== hostname() || isAlive(owner.pid))) throw new DataDirInUseError(path.dirname(file), owner);
    // Its owner is gone: take it over.
    try {
      unlinkSync(file);
    } catch {
      // Someone else took it over first; the next attempt sees theirs.
    }
  }
  throw new Error(`Could not claim ${file}`);
}

/** Gives the folder up when this process closes its database, so another may open it (`npm run admin`). */
export function releaseDataDir(databaseDir: string): void {
  const file = lockFileOf(path.resolve(databaseDir));
  claimed.delete(file);
  removeIfOurs(file);
}

function removeIfOurs(file: string): void {
  if (readOwner(file)?.pid !== process.pid) return;
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}
