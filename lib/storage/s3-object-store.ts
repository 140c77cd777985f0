/**
 * Objects in any S3-compatible store through @aws-sdk/client-s3: AWS S3, Cloudflare R2, MinIO
 * (R2 and MinIO take an endpoint; MinIO, and anything addressed by IP or without wildcard DNS,
 * path-style addressing). Keys sit under an optional prefix, so a bucket can be shared.
 */
import { DeleteObjectsCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { AppConfig } from "@/lib/config";
import { assertObjectKey, type ObjectStore, type StoredObject } from "./object-store";

type S3Config = Extract<AppConfig["storage"], { driver: "s3" }>;

/** DeleteObjects takes at most this many keys a call. */
const DELETE_BATCH = 1000;

export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;

  constructor(private readonly config: S3Config) {
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint && { endpoint: config.endpoint }),
      forcePathStyle: config.forcePathStyle,
      ...(config.accessKeyId && config.secretAccessKey && {
        credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      }),
    });
  }

  private keyOf(key: string): string {
    assertObjectKey(key);
    return `${this.config.prefix}${key}`;
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(key), Body: bytes, ContentType: contentType }));
  }

  async get(key: string): Promise<StoredObject | null> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(key) }));
      const bytes = await object.Body?.transformToByteArray();
      return { bytes: bytes ?? new Uint8Array(), contentType: object.ContentType ?? "application/octet-stream" };
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") return null;
      throw error;
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH).map((key) => ({ Key: this.keyOf(key) }));
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.config.bucket, Delete: { Objects: batch, Quiet: true } }));
    }
  }

  close(): void {
    this.client.destroy();
  }
}
