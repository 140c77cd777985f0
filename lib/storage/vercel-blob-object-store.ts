/**
 * Objects in Vercel Blob through @vercel/blob, as private blobs (reading one takes the store's
 * token, so only the app serves them, to their owner). The pathname is the key; the token is
 * BLOB_READ_WRITE_TOKEN, passed explicitly rather than left for the package to find.
 */
import { del, get, put } from "@vercel/blob";
import { assertObjectKey, type ObjectStore, type StoredObject } from "./object-store";

export class VercelBlobObjectStore implements ObjectStore {
  constructor(private readonly token: string) {}

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    assertObjectKey(key);
    await put(key, Buffer.from(bytes), {
      access: "private",
      token: this.token,
      contentType,
      addRandomSuffix: false,
      allowOverwrite: true,
    });
  }

  async get(key: string): Promise<StoredObject | null> {
    assertObjectKey(key);
    const found = await get(key, { access: "private", token: this.token });
    if (!found || found.statusCode !== 200) return null;
    const bytes = new Uint8Array(await new Response(found.stream).arrayBuffer());
    return { bytes, contentType: found.blob.contentType };
  }

  async delete(keys: string[]): Promise<void> {
    keys.forEach(assertObjectKey);
    if (keys.length > 0) await del(keys, { token: this.token });
  }
}
