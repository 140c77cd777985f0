/**
 * The behaviour every ObjectStore adapter must show. Test files call `objectStoreContract` once
 * per adapter; `make` returns a store over an empty place (a fresh folder, bucket or prefix).
 */
import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import type { ObjectStore } from "./object-store";

export function objectStoreContract(name: string, make: () => Promise<ObjectStore>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;

    beforeEach(async () => {
      store = await make();
    });

    it("gives back the bytes and type it was given, byte for byte", async () => {
      const bytes = new Uint8Array(randomBytes(256 * 1024));
      await store.put("a1", bytes, "image/png");
      const got = await store.get("a1");
      expect(got?.contentType).toBe("image/png");
      expect(Buffer.from(got!.bytes).equals(Buffer.from(bytes))).toBe(true);
    });

    it("answers null for a key that holds nothing", async () => {
      expect(await store.get("never-written")).toBeNull();
    });

    it("replaces an object written again under the same key", async () => {
      await store.put("same", new Uint8Array([1, 2, 3]), "image/gif");
      await store.put("same", new Uint8Array([4, 5]), "application/pdf");
      const got = await store.get("same");
      expect([...got!.bytes]).toEqual([4, 5]);
      expect(got!.contentType).toBe("application/pdf");
    });

    it("keeps keys with folders apart", async () => {
      await store.put("user-1/x", new Uint8Array([1]), "image/png");
      await store.put("user-2/x", new Uint8Array([2]), "image/png");
      expect([...(await store.get("user-1/x"))!.bytes]).toEqual([1]);
      expect([...(await store.get("user-2/x"))!.bytes]).toEqual([2]);
    });

    it("deletes several objects at once, and deleting what is not there is no error", async () => {
      await store.put("d1", new Uint8Array([1]), "image/png");
      await store.put("d2", new Uint8Array([2]), "image/png");
      await store.put("kept", new Uint8Array([3]), "image/png");
      await store.delete(["d1", "d2", "not-there"]);
      await store.delete([]);
      expect(await store.get("d1")).toBeNull();
      expect(await store.get("d2")).toBeNull();
      expect([...(await store.get("kept"))!.bytes]).toEqual([3]);
    });

    it("refuses keys that could leave its place (paths, dots, empty)", async () => {
      for (const key of ["../escape", "a/../../b", "", "/abs", "with space", "a//b"]) {
        await expect(store.put(key, new Uint8Array([1]), "image/png")).rejects.toThrow(/invalid object key/);
        await expect(store.get(key)).rejects.toThrow(/invalid object key/);
      }
    });
  });
}
