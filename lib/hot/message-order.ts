import type { StoredMessage } from "@/lib/domain";

/**
 * The order of a chat's messages: by createdAt, then by id. Ids compare by code unit (not by
 * locale) so every adapter, and Redis's own lexicographic order, agree.
 */
export function compareMessages(a: StoredMessage, b: StoredMessage): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
