/**
 * Objects as files under a folder (DATA_DIR/attachments on embedded defaults): one file per key
 * and a sidecar holding its content type. Writes go to a temporary file renamed into place, so a
 * reader never sees half an object.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { assertObjectKey, type ObjectStore, type StoredObject } from "./object-store";

export class LocalObjectStore implements ObjectStore {
  constructor(private readonly dir: string) {}

  private fileOf(key: string): string {
    assertObjectKey(key);
    return path.join(this.dir, ...key.split("/"));
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const file = this.fileOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(`${file}.type`, contentType);
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  }

  async get(key: string): Promise<StoredObject | null> {
    const file = this.fileOf(key);
    try {
      const [bytes, contentType] = await Promise.all([readFile(file), readFile(`${file}.type`, "utf8")]);
      return { bytes: new Uint8Array(bytes), contentType };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(
      keys.flatMap((key) => {
        const file = this.fileOf(key);
        return [rm(file, { force: true }), rm(`${file}.type`, { force: true })];
      }),
    );
  }
}
