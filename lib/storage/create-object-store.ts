/** Picks the object-storage adapter the configuration names (lib/config.ts decides which). */
import type { AppConfig } from "@/lib/config";
import { LocalObjectStore } from "./local-object-store";
import type { ObjectStore } from "./object-store";
import { S3ObjectStore } from "./s3-object-store";
import { VercelBlobObjectStore } from "./vercel-blob-object-store";

export function createObjectStore(config: AppConfig["storage"]): ObjectStore {
  switch (config.driver) {
    case "local":
      return new LocalObjectStore(config.dir);
    case "s3":
      return new S3ObjectStore(config);
    case "vercel-blob":
      return new VercelBlobObjectStore(config.token);
  }
}
