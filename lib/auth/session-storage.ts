/**
 * better-auth's secondary storage, on the hot store: every request looks its session up, and
 * this makes that one or two hot-store reads instead of a Postgres query (a few milliseconds of
 * every message's time to first token, and most of the commits Postgres saw under load).
 *
 * Sessions are still written to Postgres as well (`storeSessionInDatabase` in lib/auth/auth.ts),
 * so a hot store that restarts empty, or cannot be reached, costs a Postgres read and never a
 * sign-out. Writes are not swallowed: a session cache that silently missed an update (a ban, a
 * new tier) would keep serving the old user until it expired.
 */
import type { BetterAuthOptions } from "better-auth";
import type { HotStore } from "@/lib/hot/hot-store";
import { logger } from "@/lib/log";

type SecondaryStorage = NonNullable<BetterAuthOptions["secondaryStorage"]>;

const KEY_PREFIX = "auth:";
const cacheKey = (name: string) => `${KEY_PREFIX}${name}`;

/** better-auth passes a TTL on every write it makes; this bounds one that came without. */
const LONGEST_TTL_SECONDS = 30 * 24 * 60 * 60;

export function hotSessionStorage(hot: HotStore): SecondaryStorage {
  return {
    async get(name) {
      try {
        return await hot.getValue(cacheKey(name));
      } catch (error) {
        // better-auth then reads the session from Postgres.
        logger.debug({ err: error }, "session cache unreachable; reading the session from Postgres");
        return null;
      }
    },
    set: (name, value, ttlSeconds) => hot.setValue(cacheKey(name), value, ttlSeconds || LONGEST_TTL_SECONDS),
    delete: (name) => hot.deleteValue(cacheKey(name)),
    getAndDelete: (name) => hot.takeValue(cacheKey(name)),
    increment: (name, ttlSeconds) => hot.incrCounter(cacheKey(name), 1, ttlSeconds),
  };
}

/**
 * Drops the cached copies of these sessions (by token), for changes made where no better-auth
 * instance runs (the operator command): better-auth then reads each session, and its user, from
 * Postgres on the next request.
 */
export async function forgetCachedSessions(hot: Pick<HotStore, "deleteValue">, tokens: string[]): Promise<void> {
  await Promise.all(tokens.map((token) => hot.deleteValue(cacheKey(token))));
}
