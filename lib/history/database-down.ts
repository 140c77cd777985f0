import { isDatabaseUnreachable } from "@/lib/errors";

export const DATABASE_DOWN = Symbol("database down");

/** The read's result, or DATABASE_DOWN when Postgres cannot be reached; other errors pass on. */
export async function unlessDatabaseDown<T>(read: Promise<T>): Promise<T | typeof DATABASE_DOWN> {
  try {
    return await read;
  } catch (error) {
    if (isDatabaseUnreachable(error)) return DATABASE_DOWN;
    throw error;
  }
}
