/**
 * Error responses by code (every AppError the route wrapper answers with), counted in the hot
 * store so the admin pages and /api/metrics see every instance's errors together.
 */
import { ERROR_CODES, type ErrorCode } from "@/lib/errors";
import type { HotStore } from "@/lib/hot/hot-store";

const errorKey = (code: ErrorCode) => `errors:${code}`;

export async function countError(hot: HotStore, code: ErrorCode): Promise<void> {
  await hot.incrCounter(errorKey(code), 1);
}

export async function readErrorCounts(hot: HotStore): Promise<Record<ErrorCode, number>> {
  const values = await hot.getCounters(ERROR_CODES.map(errorKey));
  return Object.fromEntries(ERROR_CODES.map((code, index) => [code, values[index]])) as Record<ErrorCode, number>;
}
