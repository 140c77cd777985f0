// The object-storage contract against each adapter that can run here: files in a scratch folder,
// and an S3-compatible server (s3rver) through @aws-sdk/client-s3, path-style, as MinIO is reached.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { objectStoreContract } from "@/lib/storage/object-store.contract";
import { LocalObjectStore } from "@/lib/storage/local-object-store";
import { S3ObjectStore } from "@/lib/storage/s3-object-store";
import { startS3Server, type S3Server } from "./support/s3-server";
import { uniqueSuffix } from "./support/scratch";

let folder: string;
let s3: S3Server;

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "stampede-objects-"));
  s3 = await startS3Server();
});

afterAll(async () => {
  await s3?.close();
  await rm(folder, { recursive: true, force: true });
});

objectStoreContract("local files", async () => new LocalObjectStore(path.join(folder, `local-${uniqueSuffix()}`)));

objectStoreContract("S3-compatible (s3rver)", async () =>
  new S3ObjectStore({
    driver: "s3",
    bucket: s3.bucket,
    region: "us-east-1",
    endpoint: s3.endpoint,
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    forcePathStyle: true,
    // A fresh prefix for each test: the bucket is shared.
    prefix: `run-${uniqueSuffix()}/`,
  }),
);
