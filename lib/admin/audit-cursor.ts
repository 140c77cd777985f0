/**
 * The audit log's page cursor: the last entry's createdAt (ms) and id, so entries written in the
 * same ms are not skipped. Pure, for the query schema (client-safe) and the log's reader alike.
 */
import { LATEST_DATE_MS } from "@/lib/chat/schemas";

export interface AuditCursor {
  createdAt: Date;
  id: string;
}

export function encodeAuditCursor(entry: AuditCursor): string {
  return `${entry.createdAt.getTime()}.${entry.id}`;
}

/** null for anything a previous page could not have returned: a time outside Date's range, no id. */
export function decodeAuditCursor(cursor: string): AuditCursor | null {
  const match = /^(\d{1,16})\.(.+)$/.exec(cursor);
  const ms = Number(match?.[1]);
  if (!match || ms > LATEST_DATE_MS) return null;
  return { createdAt: new Date(ms), id: match[2] };
}
