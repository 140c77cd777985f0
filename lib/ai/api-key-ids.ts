/**
 * API keys' public names: a short digest of each key, which bucket names, stored replies and the
 * admin pages show, so a key itself never leaves the configuration.
 */
import { createHash } from "node:crypto";

/** One id per key of the pool, in its order; a keyless provider is one key, named by the empty key's digest. */
export function apiKeyIds(apiKeys: string[]): string[] {
  return (apiKeys.length > 0 ? apiKeys : [""]).map((key) => createHash("sha256").update(key).digest("hex").slice(0, 12));
}
