/**
 * An S3-compatible server for tests (s3rver, files in a scratch folder) with one bucket, reached
 * the way MinIO is: an endpoint, path-style, any key pair. `close()` stops it and removes its files.
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import S3rver from "s3rver";

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** The variables that point the app's storage at it (lib/config.ts). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3Server(bucket = "stampede-test"): Promise<S3Server> {
  const folder = await mkdtemp(path.join(tmpdir(), "stampede-s3-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: folder, configureBuckets: [{ name: bucket, configs: [] }] });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    env: {
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_ACCESS_KEY_ID: "S3RVER",
      S3_SECRET_ACCESS_KEY: "S3RVER",
      S3_FORCE_PATH_STYLE: "1",
    },
    async close() {
      await server.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
