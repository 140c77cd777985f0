/**
 * Counts the commands this process sends to Redis (or Upstash) and the requests that carry them,
 * by what the process was doing at the time. On Upstash every command is billed, so this is what
 * an operator pays for; `npm run bench` reads it per reply.
 *
 * Counted at the client itself: every `@upstash/redis` client the app makes (the hot store's, the
 * rate limiter's; over REST or, through the TCP requester, over ioredis) goes through
 * `countCommands`. A request is one round trip: one command, or a pipeline or transaction of many.
 *
 * The activity is carried by AsyncLocalStorage: the route wrapper names each request after its
 * route, and work that outlives a request or runs on a timer names itself (a reply job, a reader
 * of a reply's relay, the flush). Counts live in process memory, per instance, on globalThis so
 * every copy of this module (Next.js loads some twice) adds to the same figures; counting them in
 * Redis would add the commands it measures.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Redis, UpstashRequest, UpstashResponse } from "@upstash/redis";

/** What no request or job claimed: timers started at boot, heartbeats. */
export const BACKGROUND_ACTIVITY = "background";

export interface CommandCount {
  commands: number;
  requests: number;
  /** Commands by name (lowercase, as sent: "evalsha", "llen"), to see where they go. */
  byName: Record<string, number>;
}

const GLOBAL_KEY = Symbol.for("stampede.hot-store-command-counts");
type GlobalWithCounts = typeof globalThis & {
  [GLOBAL_KEY]?: { activity: AsyncLocalStorage<string>; counts: Map<string, CommandCount> };
};

function state() {
  const store = globalThis as GlobalWithCounts;
  store[GLOBAL_KEY] ??= { activity: new AsyncLocalStorage<string>(), counts: new Map() };
  return store[GLOBAL_KEY];
}

/** Runs `work` (and everything it starts) with its Redis commands counted under `activity`. */
export function withCommandActivity<T>(activity: string, work: () => T): T {
  return state().activity.run(activity, work);
}

/** Counts every request `client` sends from now on. */
export function countCommands(client: Redis): Redis {
  client.use(<TResult>(request: UpstashRequest, next: (request: UpstashRequest) => Promise<UpstashResponse<TResult>>) => {
    const { activity, counts } = state();
    const name = activity.getStore() ?? BACKGROUND_ACTIVITY;
    const count = counts.get(name) ?? { commands: 0, requests: 0, byName: {} };
    // A pipeline or transaction carries a list of commands; a single command is one list.
    const sent = Array.isArray(request.body) && Array.isArray(request.body[0]) ? (request.body as unknown[][]) : [request.body as unknown[]];
    for (const command of sent) {
      const commandName = String(command?.[0] ?? "unknown").toLowerCase();
      count.byName[commandName] = (count.byName[commandName] ?? 0) + 1;
    }
    count.commands += sent.length;
    count.requests += 1;
    counts.set(name, count);
    return next(request);
  });
  return client;
}

/** This process's counts so far, by activity. */
export function commandCounts(): Record<string, CommandCount> {
  return Object.fromEntries([...state().counts].map(([name, count]) => [name, { ...count, byName: { ...count.byName } }]));
}
