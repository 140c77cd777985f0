/**
 * The object-storage port: where an attachment's bytes live, by key. Metadata (owner, type, size,
 * name) is the database's (lib/attachments/); a store knows only keys and bytes, so an adapter is
 * a few calls of its service's own API. Keys are made by the app (unguessable, URL-safe), never by
 * a client.
 *
 * Adapters: files under DATA_DIR (embedded), any S3-compatible store (AWS, R2, MinIO), Vercel
 * Blob; lib/storage/object-store.contract.ts is the behaviour each one shows.
 */
export interface StoredObject {
  bytes: Uint8Array;
  contentType: string;
}

export interface ObjectStore {
  /** Writes (or replaces) the object at `key`. */
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** The object's bytes and type; null when nothing is stored at `key`. */
  get(key: string): Promise<StoredObject | null>;
  /** Removes the objects, if there; removing what is not there is no error. */
  delete(keys: string[]): Promise<void>;
}

/** Keys are the app's own: letters, digits, '-', '_' and '/' between parts, no path tricks. */
export const OBJECT_KEY_PATTERN = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;

export function assertObjectKey(key: string): void {
  if (!OBJECT_KEY_PATTERN.test(key)) throw new RangeError(`invalid object key: ${key}`);
}
