/**
 * The naive baseline the bench compares Stampede with: "just an API call". Each message goes
 * straight to the model through the AI SDK's streamText, with as many retries as Stampede makes
 * (--max-retries; the SDK's own backoff, which honours Retry-After), and each message is its own
 * INSERT, committed on its own. No queue, no pacing, no hot store. Plain node:http, no Next.js, so
 * nothing of Stampede's routes is in the way.
 *
 *   tsx bench/naive-server.ts --port 3999 --model-url http://127.0.0.1:4010/v1 --max-retries 4 [--database-url …|--pglite-dir …]
 *
 * POST /naive/chat  { userId, chatId, messageId, text }  → INSERT chat, INSERT message, stream the
 *                   reply (AI SDK UI message stream), INSERT the reply when it finishes.
 * POST /bare/chat   { text }  → stream the reply, nothing else: the floor for time to first token.
 * GET  /health
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { parseArgs } from "node:util";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, RetryError, pipeUIMessageStreamToResponse, streamText } from "ai";
import pg from "pg";

interface Sql {
  query(sql: string, params: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    "model-url": { type: "string" },
    model: { type: "string", default: "double-model" },
    "database-url": { type: "string" },
    "pglite-dir": { type: "string" },
    "pool-max": { type: "string", default: "10" },
    "max-retries": { type: "string", default: "2" },
  },
});

async function openSql(): Promise<Sql | null> {
  if (values["database-url"]) {
    const pool = new pg.Pool({ connectionString: values["database-url"], max: Number(values["pool-max"]) });
    pool.on("error", () => undefined);
    return { query: (sql, params) => pool.query(sql, params), close: () => pool.end() };
  }
  if (values["pglite-dir"]) {
    const { PGlite } = await import("@electric-sql/pglite");
    const db = await PGlite.create(values["pglite-dir"]);
    return { query: (sql, params) => db.query(sql, params), close: () => db.close() };
  }
  return null;
}

/** The status a failed model call ended with, as the user would be told. */
function describeError(error: unknown): string {
  const last = RetryError.isInstance(error) ? error.lastError : error;
  if (APICallError.isInstance(last)) return `${last.statusCode ?? "network"}: ${last.message}`;
  return last instanceof Error ? last.message : String(last);
}

async function readJson(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, string>;
}

async function main(): Promise<void> {
  const sql = await openSql();
  const provider = createOpenAICompatible({ name: "naive", baseURL: values["model-url"]!, includeUsage: true });
  const model = provider.chatModel(values.model!);

  async function chat(req: IncomingMessage, res: ServerResponse, persist: boolean): Promise<void> {
    const body = await readJson(req);
    if (persist && sql) {
      // One statement, one commit each: what an ORM's create() does by default.
      await sql.query(
        `INSERT INTO "chat" ("id", "userId", "title", "createdAt", "updatedAt") VALUES ($1, $2, $3, now(), now())
         ON CONFLICT ("id") DO NOTHING`,
        [body.chatId, body.userId, body.text.slice(0, 60)],
      );
      await sql.query(
        `INSERT INTO "message" ("id", "chatId", "role", "parts", "createdAt") VALUES ($1, $2, 'user', $3, now())`,
        [body.messageId, body.chatId, JSON.stringify([{ type: "text", text: body.text }])],
      );
    }
    const result = streamText({
      model,
      messages: [{ role: "user", content: body.text }],
      maxRetries: Number(values["max-retries"]),
      onError: () => undefined,
      onFinish: async ({ text }) => {
        if (!persist || !sql) return;
        await sql
          .query(`INSERT INTO "message" ("id", "chatId", "role", "parts", "createdAt") VALUES ($1, $2, 'assistant', $3, now())`, [
            `${body.messageId}-reply`,
            body.chatId,
            JSON.stringify([{ type: "text", text }]),
          ])
          .catch(() => undefined);
      },
    });
    await pipeUIMessageStreamToResponse({ response: res, stream: result.toUIMessageStream({ onError: describeError }) });
  }

  const server = createServer((req, res) => {
    const route = `${req.method} ${req.url}`;
    const handle =
      route === "POST /naive/chat"
        ? chat(req, res, true)
        : route === "POST /bare/chat"
          ? chat(req, res, false)
          : route === "GET /health"
            ? Promise.resolve(void res.end("ok"))
            : Promise.resolve(void res.writeHead(404).end());
    handle.catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "internal_error", message: String(error) } }));
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(values.port ?? 3999), "127.0.0.1");
  const shutdown = () => {
    server.closeAllConnections();
    server.close(() => void (sql?.close() ?? Promise.resolve()).finally(() => process.exit(0)));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
