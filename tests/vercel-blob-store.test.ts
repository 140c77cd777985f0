/**
 * The Vercel Blob adapter against a local double of the Blob API, as far as the package lets one
 * stand in: @vercel/blob sends put and delete to VERCEL_BLOB_API_URL when it is set, so what the
 * adapter asks of the API (a private blob at the key itself, overwritable, with its type, under
 * the store's token; a delete naming the keys) is checked here. Its `get` always fetches from
 * `<store>.private.blob.vercel-storage.com`, which no test here can reach: reading back is
 * unproven (README, Attachments).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VercelBlobObjectStore } from "@/lib/storage/vercel-blob-object-store";

interface ApiRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

const TOKEN = "vercel_blob_rw_teststore123_secretpart";
let server: Server;
const requests: ApiRequest[] = [];
let previousApiUrl: string | undefined;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
    requests.push(request);
    res.setHeader("content-type", "application/json");
    if (request.method === "PUT") {
      const pathname = new URL(request.url, "http://double").searchParams.get("pathname");
      const url = `https://teststore123.private.blob.vercel-storage.com/${pathname}`;
      res.end(JSON.stringify({ url, downloadUrl: `${url}?download=1`, pathname, contentType: req.headers["x-content-type"], contentDisposition: "inline", etag: '"1"' }));
    } else {
      res.end("{}");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  previousApiUrl = process.env.VERCEL_BLOB_API_URL;
  process.env.VERCEL_BLOB_API_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (previousApiUrl === undefined) delete process.env.VERCEL_BLOB_API_URL;
  else process.env.VERCEL_BLOB_API_URL = previousApiUrl;
  await new Promise((resolve) => server.close(resolve));
});

describe("Vercel Blob adapter against a double of the Blob API", () => {
  const store = new VercelBlobObjectStore(TOKEN);

  it("puts a private, overwritable blob at the key, with its type and bytes, under the store's token", async () => {
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    await store.put("abcDEF123_-", bytes, "image/png");
    const put = requests.at(-1)!;
    expect(put.method).toBe("PUT");
    expect(new URL(put.url, "http://double").searchParams.get("pathname")).toBe("abcDEF123_-");
    expect(put.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      "x-vercel-blob-access": "private",
      "x-content-type": "image/png",
      "x-add-random-suffix": "0",
      "x-allow-overwrite": "1",
    });
    expect([...put.body]).toEqual([...bytes]);
  });

  it("deletes the keys in one request, and sends none for no keys", async () => {
    const before = requests.length;
    await store.delete([]);
    expect(requests.length).toBe(before);
    await store.delete(["k1", "k2"]);
    const deleted = requests.at(-1)!;
    expect(deleted.method).toBe("POST");
    expect(deleted.url).toBe("/delete");
    expect(JSON.parse(deleted.body.toString())).toEqual({ urls: ["k1", "k2"] });
  });

  it("refuses keys that are not the app's", async () => {
    await expect(store.put("../other", new Uint8Array([1]), "image/png")).rejects.toThrow(/invalid object key/);
  });
});
