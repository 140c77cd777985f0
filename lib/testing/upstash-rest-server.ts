/**
 * A small server speaking Upstash's REST protocol in front of an ordinary Redis, so the app's
 * Upstash driver (`UPSTASH_REDIS_REST_URL`, the real `@upstash/redis` HTTP client with its
 * retries and base64 responses) runs against a local Redis in tests and the benchmark.
 *
 * `POST /` carries one command, `POST /pipeline` and `POST /multi-exec` a list; each command goes
 * to Redis through the app's own TCP requester, so replies have the shape the client expects.
 * String results are base64-encoded when the client asks for it (`Upstash-Encoding: base64`, its
 * default). A failed single command answers 400 with `{ error }`, as Upstash does.
 */
import { createServer, type Server } from "node:http";
import IORedis from "ioredis";
import { IORedisRequester } from "@/lib/hot/redis-requester";

export interface UpstashRestServerOptions {
  redisUrl: string;
  token: string;
  /** Asked after each request ran on Redis: true closes the connection instead of answering. */
  loseAnswer?: (body: string) => boolean;
}

export interface UpstashRestServer {
  url: string;
  token: string;
  close(): Promise<void>;
}

function base64Strings(value: unknown): unknown {
  if (typeof value === "string") return Buffer.from(value, "utf8").toString("base64");
  if (Array.isArray(value)) return value.map(base64Strings);
  return value;
}

function encoded(answer: { result?: unknown; error?: string }, base64: boolean) {
  return base64 && answer.error === undefined ? { result: base64Strings(answer.result) } : answer;
}

export async function startUpstashRestServer(port: number, options: UpstashRestServerOptions): Promise<UpstashRestServer> {
  const connection = new IORedis(options.redisUrl);
  const requester = new IORedisRequester(connection);
  const server: Server = createServer(async (request, response) => {
    let body = "";
    for await (const part of request) body += part;
    if (request.headers.authorization !== `Bearer ${options.token}`) {
      response.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: "Unauthorized" }));
      return;
    }
    const path = (request.url ?? "/").split("/").filter(Boolean);
    const base64 = request.headers["upstash-encoding"] === "base64";
    const answer = await requester
      .request({ path: path.length > 0 ? path : undefined, body: JSON.parse(body) })
      // A request Redis refused as a whole (a transaction it aborted) fails like Upstash's.
      .catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
    if (options.loseAnswer?.(body)) {
      request.socket.destroy();
      return;
    }
    const single = !Array.isArray(answer);
    const failed = single && (answer as { error?: string }).error !== undefined;
    const payload = single
      ? encoded(answer as { result?: unknown; error?: string }, base64)
      : (answer as { result?: unknown; error?: string }[]).map((entry) => encoded(entry, base64));
    response.writeHead(failed ? 400 : 200, { "content-type": "application/json" }).end(JSON.stringify(payload));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    token: options.token,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await connection.quit();
    },
  };
}
