/**
 * A long chat made up on the spot: questions of a sentence or three, and markdown answers with
 * paragraphs, lists, code and tables, stored as the app stores them (text parts with a step
 * start, model, tokens). Deterministic for a seed. The made-up answers repeat a small stock of
 * sentences, so they compress far better than real text: pass `answers` (real markdown) where
 * sizes matter, as scripts/measure-history-wire.ts does.
 */
import type { ChatMeta, StoredMessage } from "@/lib/domain";

/** mulberry32: a tiny seeded generator, enough to vary wording reproducibly. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOPICS = [
  "connection pooling in Postgres",
  "rate limiting with a token bucket",
  "streaming responses from a route handler",
  "React server components",
  "write-behind caching with Redis",
  "retries with exponential backoff",
  "database migrations without downtime",
  "idempotency keys for payments",
];

const OPENERS = [
  "Good question: the short answer is that it depends on where the bottleneck is.",
  "There are a few moving parts here, so let me take them one at a time.",
  "This comes up a lot, and the usual advice is only half right.",
  "Here is how I would approach it, with the trade-offs spelled out.",
];

const SENTENCES = [
  "Keep the hot path free of anything that waits on the network more than once.",
  "Measure before you tune: the slowest step is rarely the one you expect.",
  "A small, bounded queue gives you back-pressure instead of a memory leak.",
  "Every retry should be safe to repeat, which is what idempotency buys you.",
  "Timeouts belong on every call that leaves the process, with a budget for the whole request.",
  "Batching turns a thousand round trips into one, at the price of a little latency.",
  "Logs that carry a request id make a slow request easy to follow across services.",
  "Prefer one transaction per batch over one per row; the commit is the expensive part.",
  "When in doubt, make the failure visible rather than silently degrading.",
  "Caches need an owner and an expiry, or they become a second, stale database.",
];

const CODE = [
  "```ts\nconst limiter = createLimiter({ tokens: 10, refillPerSecond: 2 });\nif (!(await limiter.take(userId))) {\n  return new Response(\"Too many requests\", { status: 429 });\n}\n```",
  "```sql\nINSERT INTO message (id, chat_id, parts, created_at)\nSELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[])\nON CONFLICT (id) DO NOTHING;\n```",
  "```ts\nfor (let attempt = 0; attempt < 5; attempt++) {\n  try {\n    return await send(request);\n  } catch (error) {\n    await sleep(2 ** attempt * 100 + Math.random() * 100);\n  }\n}\n```",
  "```bash\nredis-cli --latency -h 127.0.0.1 -p 6379\npsql -c 'SELECT count(*) FROM pg_stat_activity;'\n```",
];

const TABLE =
  "| Option | Latency | Durability |\n| --- | --- | --- |\n| Write-through | higher | immediate |\n| Write-behind | lower | after the next flush |\n| Cache-aside | lowest on hits | as the database |";

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)];
}

function paragraph(next: () => number): string {
  return Array.from({ length: 2 + Math.floor(next() * 3) }, () => pick(next, SENTENCES)).join(" ");
}

function answer(next: () => number, topic: string): string {
  const blocks = [`${pick(next, OPENERS)} ${paragraph(next)}`, `## ${topic[0].toUpperCase()}${topic.slice(1)}`, paragraph(next)];
  const bullets = Array.from({ length: 3 + Math.floor(next() * 3) }, () => {
    return `- **${pick(next, ["Do", "Avoid", "Measure", "Consider"])}**: ${pick(next, SENTENCES)}`;
  });
  blocks.push(bullets.join("\n"));
  if (next() < 0.6) blocks.push(pick(next, CODE));
  if (next() < 0.25) blocks.push(TABLE);
  blocks.push(paragraph(next));
  return blocks.join("\n\n");
}

function question(next: () => number, topic: string): string {
  const asks = [
    `How should I think about ${topic} for an app that gets sudden traffic spikes?`,
    `Can you show me a minimal example of ${topic}?`,
    `What goes wrong with ${topic} when the database is slow?`,
    `Is ${topic} worth it for a small team, or is it premature?`,
  ];
  return next() < 0.4 ? `${pick(next, asks)} ${pick(next, SENTENCES)}` : pick(next, asks);
}

export function sampleChat({
  userId,
  count,
  seed = 1,
  answers,
}: {
  userId: string;
  count: number;
  seed?: number;
  /** Markdown the replies take in turn, instead of made-up answers. */
  answers?: string[];
}): {
  chat: ChatMeta;
  messages: StoredMessage[];
} {
  const next = random(seed);
  const start = Date.UTC(2026, 0, 15, 9, 30);
  const chat: ChatMeta = {
    id: `c_sample_${seed}`,
    userId,
    title: "Handling traffic spikes",
    createdAt: start,
    updatedAt: start + count * 20_000,
  };
  let topic = pick(next, TOPICS);
  const messages = Array.from({ length: count }, (_, i): StoredMessage => {
    const base = { id: `m_${seed}_${String(i).padStart(4, "0")}`, chatId: chat.id, createdAt: start + i * 20_000 };
    if (i % 2 === 0) {
      if (next() < 0.3) topic = pick(next, TOPICS);
      return { ...base, role: "user", parts: [{ type: "text", text: question(next, topic) }] };
    }
    const text = answers?.length ? answers[Math.floor(i / 2) % answers.length] : answer(next, topic);
    return {
      ...base,
      role: "assistant",
      parts: [{ type: "step-start" }, { type: "text", text, state: "done" }],
      model: "gpt-4o-mini",
      inputTokens: 200 + i * 150,
      outputTokens: Math.round(text.length / 4),
    };
  });
  return { chat, messages };
}
