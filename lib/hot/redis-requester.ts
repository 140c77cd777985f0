/**
 * Lets the `@upstash/redis` client talk to an ordinary Redis over TCP, so Upstash (REST) and a
 * plain Redis share one code path: RedisHotStore and @upstash/ratelimit.
 *
 * The client hands a Requester `{ path, body }`: no path for one command, `["pipeline"]` or
 * `["multi-exec"]` for a list of commands. Each command goes to ioredis as is, and replies are
 * returned the way the client's own HTTP requester returns them after undoing its base64
 * response encoding: strings, numbers, null and (nested) arrays, exactly as Redis sent them.
 * The client then applies its usual automatic deserialization on top (this path cannot turn it
 * off: `new Redis(requester)` ignores options), just as it does for REST responses.
 */
import { createHash } from "node:crypto";
import { logger } from "@/lib/log";
import { countCommands } from "./command-count";
import IORedis, { ReplyError, type RedisOptions } from "ioredis";
import { Redis, errors, type Requester, type UpstashRequest, type UpstashResponse } from "@upstash/redis";

/** A command as the client serialises it: name first, then strings, numbers or booleans. */
type RestCommand = unknown[];

interface PreparedCommand {
  name: string;
  args: (string | number)[];
  /** Turns Redis's reply into the one Upstash would give, where they differ. */
  adaptReply?: (reply: unknown) => unknown;
}

/** The flags Redis 7 accepts in a script's `#!lua flags=` line. */
const REDIS_SCRIPT_FLAGS = new Set(["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"]);

/**
 * Makes a script's `#!lua` shebang acceptable to Redis: Upstash knows flags Redis rejects
 * ("ERR Unexpected flag in script shebang"), such as @upstash/ratelimit's `allow-key-locking`.
 * Unknown flags are dropped; when nothing is left the line is emptied rather than removed, so
 * line numbers in Lua error messages still match the original. A script Redis already accepts
 * is returned unchanged.
 */
export function shebangForRedis(script: string): string {
  const shebang = /^#!lua([^\n]*)/.exec(script);
  if (!shebang) return script;
  const options = shebang[1].trim().split(/\s+/).filter(Boolean);
  const kept = options.flatMap((option) => {
    if (!option.startsWith("flags=")) return [option];
    const flags = option.slice("flags=".length).split(",").filter((flag) => REDIS_SCRIPT_FLAGS.has(flag));
    return flags.length > 0 ? [`flags=${flags.join(",")}`] : [];
  });
  if (kept.length === options.length && kept.every((option, i) => option === options[i])) return script;
  const line = kept.length > 0 ? `#!lua ${kept.join(" ")}` : "";
  return line + script.slice(shebang[0].length);
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

function isRedisError(error: unknown): error is Error {
  return error instanceof ReplyError;
}

export class IORedisRequester implements Requester {
  /** sha1 of a script as the caller knows it → sha1 of the rewritten script Redis holds. */
  private readonly redisShaByOriginal = new Map<string, string>();

  constructor(private readonly connection: IORedis) {}

  async request<TResult>(req: UpstashRequest): Promise<UpstashResponse<TResult>> {
    const kind = req.path?.[0];
    if (kind === undefined) return (await this.single(req.body as RestCommand)) as UpstashResponse<TResult>;
    if (kind === "pipeline" || kind === "multi-exec") {
      // The client expects an array of responses here, whatever the Requester type says.
      const responses = await this.batch(req.body as RestCommand[], kind === "multi-exec");
      return responses as unknown as UpstashResponse<TResult>;
    }
    throw new errors.UpstashError(`Not supported over TCP: /${req.path?.join("/")}`);
  }

  private async single(command: RestCommand): Promise<UpstashResponse<unknown>> {
    const prepared = this.prepare(command);
    try {
      return this.response(prepared, await this.connection.call(prepared.name, prepared.args));
    } catch (error) {
      if (isRedisError(error)) return { error: error.message };
      throw error;
    }
  }

  private async batch(commands: RestCommand[], atomic: boolean): Promise<UpstashResponse<unknown>[]> {
    const prepared = commands.map((command) => this.prepare(command));
    const batch = atomic ? this.connection.multi() : this.connection.pipeline();
    for (const { name, args } of prepared) batch.call(name, args);
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await batch.exec();
    } catch (error) {
      // A transaction Redis refused as a whole (EXECABORT): Upstash fails the request, and the
      // client's HTTP requester throws for a failed request.
      if (isRedisError(error)) throw new errors.UpstashError(error.message);
      throw error;
    }
    if (!replies) throw new errors.UpstashError("Transaction aborted");
    return replies.map(([error, reply], i) => (error ? { error: error.message } : this.response(prepared[i], reply)));
  }

  private response(prepared: PreparedCommand, reply: unknown): UpstashResponse<unknown> {
    return { result: prepared.adaptReply ? prepared.adaptReply(reply) : reply };
  }

  private prepare([rawName, ...rawArgs]: RestCommand): PreparedCommand {
    const name = String(rawName).toLowerCase();
    const args = rawArgs.map((arg) => (typeof arg === "number" ? arg : String(arg)));
    switch (name) {
      case "eval":
      case "eval_ro":
        args[0] = this.scriptForRedis(String(args[0]));
        return { name, args };
      case "evalsha":
      case "evalsha_ro":
        args[0] = this.shaForRedis(String(args[0]));
        return { name, args };
      case "script":
        return this.prepareScript(args);
      case "hgetall":
        // ioredis turns HGETALL replies into objects, looking its transformer up by the
        // lower-case name; Upstash returns the flat field/value array, so send it upper-case.
        return { name: "HGETALL", args };
      default:
        return { name, args };
    }
  }

  private prepareScript(args: (string | number)[]): PreparedCommand {
    const subcommand = String(args[0]).toLowerCase();
    if (subcommand === "load") {
      const original = String(args[1]);
      args[1] = this.scriptForRedis(original);
      // Callers run the script later by the sha1 of what they sent, as Upstash would return it.
      return { name: "script", args, adaptReply: () => sha1(original) };
    }
    if (subcommand === "exists") {
      return { name: "script", args: [args[0], ...args.slice(1).map((sha) => this.shaForRedis(String(sha)))] };
    }
    return { name: "script", args };
  }

  private scriptForRedis(script: string): string {
    const rewritten = shebangForRedis(script);
    if (rewritten !== script) this.redisShaByOriginal.set(sha1(script), sha1(rewritten));
    return rewritten;
  }

  /**
   * An unknown sha goes through as is: Redis answers NOSCRIPT and callers fall back to EVAL,
   * which registers the mapping for this process.
   */
  private shaForRedis(sha: string): string {
    return this.redisShaByOriginal.get(sha) ?? sha;
  }
}

export interface TcpRedisClient {
  /** The same client class Upstash REST uses, speaking to Redis over `connection`. */
  client: Redis;
  connection: IORedis;
  close(): Promise<void>;
}

/** While Redis is down, ioredis reports every reconnect attempt; one log line a minute is enough. */
const CONNECTION_ERROR_LOG_INTERVAL_MS = 60_000;

/** An `@upstash/redis` client for an ordinary Redis (`redis://` or `rediss://` URL). */
export function createTcpRedisClient(url: string, options: RedisOptions = {}): TcpRedisClient {
  const connection = new IORedis(url, {
    // A command fails after one retry instead of twenty, so a Redis outage becomes a prompt 503
    // rather than requests hanging; ioredis keeps reconnecting in the background.
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    // Commands sent in the same tick share one socket write: a message's independent round trips
    // go out together, and under load a system call per command was a tenth of the CPU.
    enableAutoPipelining: true,
    ...options,
  });
  let lastLogged = 0;
  connection.on("error", (error: Error) => {
    if (Date.now() - lastLogged < CONNECTION_ERROR_LOG_INTERVAL_MS) return;
    lastLogged = Date.now();
    logger.warn({ err: error, redis: connection.options.host }, "redis connection error; retrying");
  });
  return {
    client: countCommands(new Redis(new IORedisRequester(connection))),
    connection,
    async close() {
      if (connection.status !== "end") await connection.quit();
    },
  };
}
