/**
 * The provider double: a local OpenAI-compatible HTTP server that stands in for the model provider
 * in tests, end-to-end runs and the load benchmark. It speaks the parts of OpenAI's wire format the
 * app relies on (chat completions, streamed chunks, usage, 429s with Retry-After), enforces a
 * provider-style rate limit (a sliding or quantized window or a refilling bucket, shared or per API
 * key, reported in OpenAI's or Anthropic's rate-limit headers or not at all), and counts everything
 * it was asked, so a run can check how well the app paced itself under that limit.
 *
 * Plain node:http and no Next.js imports: a test, a script or a separate bench process can start it.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { predictableTitle, TITLE_INSTRUCTION } from "@/lib/ai/title-instruction";

export interface ProviderDoubleOptions {
  /** 0 = any free port (default). */
  port?: number;
  /** Default "127.0.0.1". */
  host?: string;
  /** Delay before the first token, in ms (default 0). */
  latencyMs?: number;
  /** Delay between streamed tokens, in ms (default 0). */
  tokenDelayMs?: number;
  /** Words in each default reply (default 20). */
  tokensPerReply?: number;
  /** Requests-per-minute cap (per `windowMs`, enforced as `limiter` says); above it, 429 with Retry-After (default: no cap). */
  rpm?: number;
  /**
   * Length of the window the caps count over, in ms (default 60 000). A shorter window
   * scales a per-minute cap down so a test can hit it, and stay under it, in seconds.
   */
  windowMs?: number;
  /** Tokens-per-minute cap (prompt + completion estimate) over the same window (default: no cap). */
  tpm?: number;
  /**
   * How the caps are enforced over `windowMs` (default "sliding"):
   * - "sliding": at most the cap in any `windowMs` (OpenAI's per-minute limits);
   * - "fixed": the count starts over at each multiple of `windowMs`, the "quantized" limits some
   *   providers enforce (100 per 10 s rather than 600 per minute);
   * - "bucket": a bucket of the cap's size refilled continuously, the whole cap per `windowMs`
   *   (Anthropic's token bucket).
   */
  limiter?: LimiterKind;
  /**
   * Which rate-limit headers go with every answer and 429 (default "openai"): OpenAI's
   * `x-ratelimit-*` (reset as a duration until the cap is whole again) and `retry-after-ms` +
   * `retry-after` on a 429; Anthropic's `anthropic-ratelimit-*` (reset as an RFC 3339 time) and
   * `retry-after` in seconds; or "none", a provider that says nothing, not even Retry-After.
   */
  headers?: HeaderStyle;
  /** Each API key (the Authorization header) gets caps of its own, as separate accounts do (default: shared). */
  perKey?: boolean;
  /** API keys answered 401 invalid_api_key, as a revoked or mistyped key is (default: none). */
  rejectedKeys?: string[];
  /**
   * 0..1: fraction of admitted requests answered with 500, deterministically (0.25 = every 4th).
   * A failed request still used its rate-limit slot, as it would at a real provider. Default 0.
   */
  failureRate?: number;
  /** 0..1: fraction of all requests answered 429 regardless of the caps, deterministically (default 0). */
  rateLimitFailureRate?: number;
  /**
   * Prompt tokens billed on top of the messages' own (default 0), as a provider's own preamble is:
   * lets a test spend a day's token quota in a few replies.
   */
  promptTokensOverhead?: number;
  /**
   * Streamed replies break off after this many tokens: the connection is dropped without a finish,
   * as a provider failing mid-answer does (default: never).
   */
  cutStreamAfterTokens?: number;
  /** Custom reply text; the default is {@link echoReply} of the last user message. */
  reply?: (prompt: { messages: { role: string; content: string }[]; model: string }) => string;
}

export type LimiterKind = "sliding" | "fixed" | "bucket";
export type HeaderStyle = "openai" | "anthropic" | "none";

/** What can change on a running double; the address is fixed once it listens. */
export type ProviderDoubleBehaviour = Omit<ProviderDoubleOptions, "port" | "host">;

export interface ProviderDoubleStats {
  /** Every chat completion request received, whatever its outcome. */
  requests: number;
  /** Replies sent in full. */
  completed: number;
  /** 429s, from the caps and from rateLimitFailureRate. */
  rateLimited: number;
  /** Injected 500s. */
  failed: number;
  /** 400s for bodies that are not valid JSON or not a chat completion request. */
  badRequests: number;
  /** Replies not sent to the end: the client disconnected, or cutStreamAfterTokens broke them off. */
  aborted: number;
  /** Admitted requests being answered right now (including ones waiting out latencyMs). */
  inFlight: number;
  maxInFlight: number;
  /** Completion start timestamps (epoch ms, one per admitted request), for utilisation and pacing analysis. */
  startTimes: number[];
  /** Admitted requests by API key (the bearer token; "" without one). */
  startsByKey: Record<string, number>;
  /** 401s for a key in `rejectedKeys`. */
  unauthorized: number;
  /** Estimated prompt tokens of the requests that were answered (words, see {@link countTokens}). */
  promptTokens: number;
  /** Tokens actually sent, so an aborted stream counts only what went out. */
  completionTokens: number;
}

export interface ProviderDouble {
  /** Base URL to use as OPENAI_BASE_URL, e.g. "http://127.0.0.1:43123/v1". */
  url: string;
  stats(): ProviderDoubleStats;
  /** Zero the counters, the rate windows and the fault sequence. Requests still in flight keep counting in inFlight. */
  reset(): void;
  /** Change the behaviour from the next request on; pass `rpm: undefined` (or tpm, reply) to remove it. */
  setOptions(patch: Partial<ProviderDoubleBehaviour>): void;
  /** Stop listening and drop open connections, including streams still being written. */
  close(): Promise<void>;
}

const DEFAULT_MODEL_ID = "double-model";

/** How many requests GET /prompts keeps. */
const RECENT_PROMPTS_KEPT = 50;

/**
 * The default reply: "Echo:" and the first words of the user's message, padded with numbered words
 * ("word5", "word6", … named by their position) up to `tokensPerReply` words, so tests can predict it.
 */
export function echoReply(userMessage: string, tokensPerReply: number): string {
  const words = ["Echo:", ...userMessage.split(/\s+/).filter(Boolean)].slice(0, tokensPerReply);
  for (let position = words.length + 1; position <= tokensPerReply; position += 1) words.push(`word${position}`);
  return words.join(" ");
}

/** A vision model's answer names what it saw: the media type of each file, before the text ("[image/png] What is this?"). */
function withFilesSeen(text: string, files: RecordedFile[] = []): string {
  return [...files.map((file) => `[${file.mediaType}]`), text].join(" ");
}

/** The double's token estimate: whitespace-separated words. Crude, but stable and predictable. */
export function countTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** One streamed piece per word, each keeping its leading whitespace, so the pieces join back into the text exactly. */
function splitTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

interface Behaviour {
  latencyMs: number;
  tokenDelayMs: number;
  tokensPerReply: number;
  windowMs: number;
  rpm?: number;
  tpm?: number;
  limiter: LimiterKind;
  headers: HeaderStyle;
  perKey: boolean;
  rejectedKeys: string[];
  failureRate: number;
  rateLimitFailureRate: number;
  promptTokensOverhead: number;
  cutStreamAfterTokens?: number;
  reply?: ProviderDoubleOptions["reply"];
}

const LIMITER_KINDS: readonly LimiterKind[] = ["sliding", "fixed", "bucket"];
const HEADER_STYLES: readonly HeaderStyle[] = ["openai", "anthropic", "none"];

const DEFAULT_BEHAVIOUR: Behaviour = {
  latencyMs: 0,
  tokenDelayMs: 0,
  tokensPerReply: 20,
  windowMs: 60_000,
  limiter: "sliding",
  headers: "openai",
  perKey: false,
  rejectedKeys: [],
  failureRate: 0,
  rateLimitFailureRate: 0,
  promptTokensOverhead: 0,
};

function applyPatch(current: Behaviour, patch: Partial<ProviderDoubleBehaviour>): Behaviour {
  const merged = { ...current, ...patch };
  // An explicit undefined restores the default rather than leaving a hole in a required setting.
  const next: Behaviour = {
    latencyMs: merged.latencyMs ?? DEFAULT_BEHAVIOUR.latencyMs,
    tokenDelayMs: merged.tokenDelayMs ?? DEFAULT_BEHAVIOUR.tokenDelayMs,
    tokensPerReply: merged.tokensPerReply ?? DEFAULT_BEHAVIOUR.tokensPerReply,
    windowMs: merged.windowMs ?? DEFAULT_BEHAVIOUR.windowMs,
    rpm: merged.rpm,
    tpm: merged.tpm,
    limiter: merged.limiter ?? DEFAULT_BEHAVIOUR.limiter,
    headers: merged.headers ?? DEFAULT_BEHAVIOUR.headers,
    perKey: merged.perKey ?? DEFAULT_BEHAVIOUR.perKey,
    rejectedKeys: merged.rejectedKeys ?? DEFAULT_BEHAVIOUR.rejectedKeys,
    failureRate: merged.failureRate ?? DEFAULT_BEHAVIOUR.failureRate,
    promptTokensOverhead: merged.promptTokensOverhead ?? DEFAULT_BEHAVIOUR.promptTokensOverhead,
    rateLimitFailureRate: merged.rateLimitFailureRate ?? DEFAULT_BEHAVIOUR.rateLimitFailureRate,
    cutStreamAfterTokens: merged.cutStreamAfterTokens,
    reply: merged.reply,
  };
  const checks: [string, number | undefined, (value: number) => boolean][] = [
    ["latencyMs", next.latencyMs, (value) => Number.isFinite(value) && value >= 0],
    ["tokenDelayMs", next.tokenDelayMs, (value) => Number.isFinite(value) && value >= 0],
    ["tokensPerReply", next.tokensPerReply, (value) => Number.isInteger(value) && value >= 0],
    ["windowMs", next.windowMs, (value) => Number.isInteger(value) && value > 0],
    ["rpm", next.rpm, (value) => Number.isInteger(value) && value > 0],
    ["tpm", next.tpm, (value) => Number.isInteger(value) && value > 0],
    ["failureRate", next.failureRate, (value) => value >= 0 && value <= 1],
    ["rateLimitFailureRate", next.rateLimitFailureRate, (value) => value >= 0 && value <= 1],
    ["promptTokensOverhead", next.promptTokensOverhead, (value) => Number.isInteger(value) && value >= 0],
    ["cutStreamAfterTokens", next.cutStreamAfterTokens, (value) => Number.isInteger(value) && value >= 0],
  ];
  for (const [name, value, valid] of checks) {
    if (value !== undefined && !valid(value)) throw new RangeError(`provider double: invalid ${name}: ${value}`);
  }
  if (!LIMITER_KINDS.includes(next.limiter)) throw new RangeError(`provider double: invalid limiter: ${next.limiter}`);
  if (!HEADER_STYLES.includes(next.headers)) throw new RangeError(`provider double: invalid headers: ${next.headers}`);
  return next;
}

const contentSchema = z
  .union([
    z.string(),
    z.array(
      z.looseObject({
        type: z.string(),
        text: z.string().optional(),
        /** An image, as OpenAI's chat API takes one: a URL, here a data URL with its bytes. */
        image_url: z.looseObject({ url: z.string() }).optional(),
        /** A file (a PDF), as OpenAI's chat API takes one: its name and a data URL. */
        file: z.looseObject({ filename: z.string().optional(), file_data: z.string().optional() }).optional(),
      }),
    ),
  ])
  .nullish();

/**
 * A file a message carried, as the double recorded it: what the model was sent, so a test can
 * compare it with what was uploaded (its digest) without keeping the bytes.
 */
export interface RecordedFile {
  /** "image" for an image_url part, "file" for a file part. */
  type: "image" | "file";
  mediaType: string;
  filename?: string;
  size: number;
  sha256: string;
}

/** The images and files of a message's content, decoded from their data URLs. */
function contentFiles(content: z.infer<typeof contentSchema>): RecordedFile[] {
  if (content == null || typeof content === "string") return [];
  return content.flatMap((part): RecordedFile[] => {
    const url = part.type === "image_url" ? part.image_url?.url : part.type === "file" ? part.file?.file_data : undefined;
    const decoded = /^data:([^;,]+);base64,(.*)$/s.exec(url ?? "");
    if (!decoded) return [];
    const bytes = Buffer.from(decoded[2], "base64");
    return [{
      type: part.type === "image_url" ? "image" : "file",
      mediaType: decoded[1],
      ...(part.file?.filename !== undefined && { filename: part.file.filename }),
      size: bytes.byteLength,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    }];
  });
}

const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.looseObject({ role: z.string(), content: contentSchema })).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  /** The caller's output cap: the reply stops there with finish_reason "length", as OpenAI's does. */
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
});

type ChatRequest = z.infer<typeof chatRequestSchema>;

/** Message content as plain text: non-text parts (images, audio) carry no words for the double. */
function contentText(content: z.infer<typeof contentSchema>): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content
    .map((part) => (part.type === "text" ? (part.text ?? "") : ""))
    .filter(Boolean)
    .join("\n");
}

interface OpenAIError {
  message: string;
  type: string;
  param?: string | null;
  code?: string | null;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, error: OpenAIError, headers?: Record<string, string>): void {
  const { message, type, param = null, code = null } = error;
  sendJson(res, status, { error: { message, type, param, code } }, headers);
}

/** OpenAI's duration style for x-ratelimit-reset-*: "250ms" below a second, "12.5s" above. */
function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.ceil(ms))}ms` : `${Number((ms / 1000).toFixed(3))}s`;
}

/** Resolves false if the client went away during the pause, so the caller stops writing. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms > 0) await sleep(ms, undefined, { signal }).catch(() => undefined);
  return !signal.aborted;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The API key a request carries: its bearer token, "" without one. */
function bearerToken(req: IncomingMessage): string {
  return /^Bearer (.*)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
}

function emptyStats(): ProviderDoubleStats {
  return {
    requests: 0,
    completed: 0,
    rateLimited: 0,
    failed: 0,
    badRequests: 0,
    aborted: 0,
    inFlight: 0,
    maxInFlight: 0,
    startTimes: [],
    startsByKey: {},
    unauthorized: 0,
    promptTokens: 0,
    completionTokens: 0,
  };
}

/**
 * One cap (requests or tokens) as the provider enforces it over `windowMs`; `limit` and `windowMs`
 * are passed on each call, so a changed setting applies from the next request on.
 */
interface Meter {
  /** What may be taken now. */
  available(now: number, limit: number, windowMs: number): number;
  /** How long until `cost` fits: 0 if it does now; a whole window for a cost above the cap, which never fits. */
  waitFor(now: number, cost: number, limit: number, windowMs: number): number;
  /** How long until the whole cap is available again (what OpenAI's reset and Anthropic's reset time say). */
  untilFull(now: number, limit: number, windowMs: number): number;
  take(now: number, cost: number, limit: number, windowMs: number): void;
}

/** At most `limit` in any `windowMs`: each admission counts until it is a window old. */
function slidingMeter(): Meter {
  let admissions: { at: number; cost: number }[] = [];
  const used = (now: number, windowMs: number) => {
    admissions = admissions.filter((admission) => admission.at > now - windowMs);
    return admissions.reduce((sum, admission) => sum + admission.cost, 0);
  };
  return {
    available: (now, limit, windowMs) => Math.max(0, limit - used(now, windowMs)),
    waitFor(now, cost, limit, windowMs) {
      let inUse = used(now, windowMs);
      if (cost > limit) return windowMs;
      // Room comes back as admissions age out: find the one whose expiry makes room for this cost.
      let expiring = 0;
      while (inUse + cost > limit) inUse -= admissions[expiring++].cost;
      return expiring === 0 ? 0 : admissions[expiring - 1].at + windowMs - now;
    },
    untilFull: (now, _limit, windowMs) => (used(now, windowMs) > 0 ? admissions[admissions.length - 1].at + windowMs - now : 0),
    take: (now, cost) => void admissions.push({ at: now, cost }),
  };
}

/** The count starts over at every multiple of `windowMs` (a "quantized" limit). */
function fixedMeter(): Meter {
  let current = { start: 0, used: 0 };
  const used = (now: number, windowMs: number) => {
    const start = Math.floor(now / windowMs) * windowMs;
    if (start !== current.start) current = { start, used: 0 };
    return current.used;
  };
  const untilNext = (now: number, windowMs: number) => current.start + windowMs - now;
  return {
    available: (now, limit, windowMs) => Math.max(0, limit - used(now, windowMs)),
    waitFor: (now, cost, limit, windowMs) =>
      cost > limit ? windowMs : used(now, windowMs) + cost <= limit ? 0 : untilNext(now, windowMs),
    untilFull: (now, _limit, windowMs) => (used(now, windowMs) > 0 ? untilNext(now, windowMs) : 0),
    take(now, cost, _limit, windowMs) {
      used(now, windowMs);
      current.used += cost;
    },
  };
}

/** A bucket of `limit` refilled continuously at `limit` per `windowMs`, starting full. */
function bucketMeter(): Meter {
  let bucket: { level: number; at: number } | undefined;
  const level = (now: number, limit: number, windowMs: number) => {
    const previous = bucket ?? { level: limit, at: now };
    bucket = { level: Math.min(limit, previous.level + ((now - previous.at) * limit) / windowMs), at: now };
    return bucket.level;
  };
  return {
    available: (now, limit, windowMs) => Math.floor(level(now, limit, windowMs)),
    waitFor(now, cost, limit, windowMs) {
      if (cost > limit) return windowMs;
      return Math.max(0, Math.ceil(((cost - level(now, limit, windowMs)) * windowMs) / limit));
    },
    untilFull: (now, limit, windowMs) => Math.ceil(((limit - level(now, limit, windowMs)) * windowMs) / limit),
    take(now, cost, limit, windowMs) {
      level(now, limit, windowMs);
      bucket!.level -= cost;
    },
  };
}

const METERS = { sliding: slidingMeter, fixed: fixedMeter, bucket: bucketMeter } as const satisfies Record<LimiterKind, () => Meter>;

/** The caps of one account: the whole double's, or one API key's with `perKey`. */
interface Account {
  requests: Meter;
  tokens: Meter;
}

interface CapExceeded {
  type: "requests" | "tokens";
  retryAfterMs: number;
  /** OpenAI's "Limit …, Used …, Requested …" part of the message. */
  usage: string;
}

/** What one admitted request will be answered with. */
interface Plan {
  model: string;
  pieces: string[];
  finishReason: "stop" | "length";
  promptTokens: number;
  stream: boolean;
  includeUsage: boolean;
  headers: Record<string, string>;
}

export async function startProviderDouble(options: ProviderDoubleOptions = {}): Promise<ProviderDouble> {
  const { port = 0, host = "127.0.0.1", ...initial } = options;
  let behaviour = applyPatch(DEFAULT_BEHAVIOUR, initial);
  let stats = emptyStats();
  let accounts = new Map<string, Account>();
  // Fault injection is deterministic so runs are reproducible: each request adds the rate to a credit
  // and a fault fires whenever the credit reaches 1, so 0.25 hits exactly every 4th request.
  let faultCredit = { failure: 0, rateLimit: 0 };
  /** The messages of the latest requests, oldest first (GET /prompts). */
  let recentPrompts: { role: string; content: string; files?: RecordedFile[] }[][] = [];
  const modelsSeen = new Set<string>();
  let completionCount = 0;

  function takeFault(kind: keyof typeof faultCredit, rate: number): boolean {
    faultCredit[kind] += rate;
    // The epsilon absorbs float drift: ten additions of 0.1 must fire on the 10th request, not the 11th.
    if (faultCredit[kind] < 1 - 1e-9) return false;
    faultCredit[kind] -= 1;
    return true;
  }

  function accountFor(req: IncomingMessage): Account {
    const key = behaviour.perKey ? (req.headers.authorization ?? "") : "";
    let account = accounts.get(key);
    if (!account) {
      account = { requests: METERS[behaviour.limiter](), tokens: METERS[behaviour.limiter]() };
      accounts.set(key, account);
    }
    return account;
  }

  /** The account's caps that are set, as [name, meter, limit]. */
  function caps(account: Account): ["requests" | "tokens", Meter, number][] {
    const { rpm, tpm } = behaviour;
    return [
      ...(rpm === undefined ? [] : [["requests", account.requests, rpm] as const]),
      ...(tpm === undefined ? [] : [["tokens", account.tokens, tpm] as const]),
    ].map(([name, meter, limit]) => [name, meter, limit]);
  }

  /** The rate-limit headers of the configured style, for whichever caps are set. */
  function rateLimitHeaders(account: Account, now: number): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, meter, limit] of caps(account)) {
      const remaining = String(meter.available(now, limit, behaviour.windowMs));
      const untilFull = meter.untilFull(now, limit, behaviour.windowMs);
      if (behaviour.headers === "openai") {
        headers[`x-ratelimit-limit-${name}`] = String(limit);
        headers[`x-ratelimit-remaining-${name}`] = remaining;
        headers[`x-ratelimit-reset-${name}`] = formatDuration(untilFull);
      } else if (behaviour.headers === "anthropic") {
        headers[`anthropic-ratelimit-${name}-limit`] = String(limit);
        headers[`anthropic-ratelimit-${name}-remaining`] = remaining;
        headers[`anthropic-ratelimit-${name}-reset`] = new Date(now + untilFull).toISOString();
      }
    }
    return headers;
  }

  /** Which cap this request would break and how long until it would fit; undefined if it fits now. */
  function exceededCap(account: Account, now: number, tokens: number): CapExceeded | undefined {
    for (const [type, meter, limit] of caps(account)) {
      const cost = type === "requests" ? 1 : tokens;
      const retryAfterMs = meter.waitFor(now, cost, limit, behaviour.windowMs);
      if (retryAfterMs === 0) continue;
      const used = limit - meter.available(now, limit, behaviour.windowMs);
      const unit = type === "requests" ? "requests per min (RPM)" : "tokens per min (TPM)";
      return { type, retryAfterMs, usage: `${unit}: Limit ${limit}, Used ${used}, Requested ${cost}` };
    }
    return undefined;
  }

  /** What a 429 says about when to come back, in the configured style. */
  function retryAfterHeaders(retryAfterMs: number): Record<string, string> {
    // Retry-After is whole seconds and at least 1, like OpenAI's and Anthropic's; OpenAI's
    // retry-after-ms carries the precise wait.
    const seconds = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    if (behaviour.headers === "openai") return { "retry-after": seconds, "retry-after-ms": String(Math.max(0, Math.ceil(retryAfterMs))) };
    return behaviour.headers === "anthropic" ? { "retry-after": seconds } : {};
  }

  function sendRateLimited(
    res: ServerResponse,
    account: Account,
    exceeded: Pick<CapExceeded, "type" | "retryAfterMs">,
    message: string,
  ): void {
    stats.rateLimited += 1;
    sendError(
      res,
      429,
      { message, type: exceeded.type, code: "rate_limit_exceeded" },
      { ...rateLimitHeaders(account, Date.now()), ...retryAfterHeaders(exceeded.retryAfterMs) },
    );
  }

  async function chatCompletions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests += 1;
    const raw = await readBody(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      stats.badRequests += 1;
      sendError(res, 400, {
        message: "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.",
        type: "invalid_request_error",
      });
      return;
    }
    const result = chatRequestSchema.safeParse(parsed);
    if (!result.success) {
      stats.badRequests += 1;
      const issue = result.error.issues[0];
      const param = issue.path.join(".");
      sendError(res, 400, { message: `Invalid request: '${param}': ${issue.message}`, type: "invalid_request_error", param });
      return;
    }
    const request: ChatRequest = result.data;
    modelsSeen.add(request.model);

    const messages = request.messages.map((message) => {
      const files = contentFiles(message.content);
      return { role: message.role, content: contentText(message.content), ...(files.length > 0 && { files }) };
    });
    recentPrompts = [...recentPrompts.slice(1 - RECENT_PROMPTS_KEPT), messages];
    const lastUser = messages.findLast((message) => message.role === "user")?.content ?? "";
    // The reply is settled before admission because the tpm check needs its length.
    // A title request (lib/titles) is answered with a title tests can predict, whatever the replies are.
    const titleRequest = messages.some((message) => message.role === "system" && message.content === TITLE_INSTRUCTION);
    const text = titleRequest
      ? predictableTitle(lastUser)
      : behaviour.reply
        ? behaviour.reply({ messages, model: request.model })
        : echoReply(withFilesSeen(lastUser, messages.findLast((message) => message.role === "user")?.files), behaviour.tokensPerReply);
    const allPieces = splitTokens(text);
    const outputCap = request.max_completion_tokens ?? request.max_tokens ?? allPieces.length;
    const pieces = allPieces.slice(0, outputCap);
    const promptTokens =
      behaviour.promptTokensOverhead + messages.reduce((sum, message) => sum + countTokens(message.content), 0);

    const apiKey = bearerToken(req);
    if (behaviour.rejectedKeys.includes(apiKey)) {
      stats.unauthorized += 1;
      sendError(res, 401, { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" });
      return;
    }
    const now = Date.now();
    const account = accountFor(req);
    if (takeFault("rateLimit", behaviour.rateLimitFailureRate)) {
      sendRateLimited(res, account, { type: "requests", retryAfterMs: 1000 }, "Rate limit reached for requests (injected by the provider double). Please try again in 1s.");
      return;
    }
    const cost = promptTokens + pieces.length;
    const exceeded = exceededCap(account, now, cost);
    if (exceeded) {
      const wait = formatDuration(exceeded.retryAfterMs);
      sendRateLimited(res, account, exceeded, `Rate limit reached for ${request.model} on ${exceeded.usage}. Please try again in ${wait}.`);
      return;
    }
    account.requests.take(now, 1, behaviour.rpm ?? 1, behaviour.windowMs);
    account.tokens.take(now, cost, behaviour.tpm ?? cost, behaviour.windowMs);
    stats.startTimes.push(now);
    stats.startsByKey[apiKey] = (stats.startsByKey[apiKey] ?? 0) + 1;

    if (takeFault("failure", behaviour.failureRate)) {
      stats.failed += 1;
      sendError(res, 500, {
        message: "The server had an error while processing your request. Sorry about that!",
        type: "server_error",
      });
      return;
    }

    const plan: Plan = {
      model: request.model,
      pieces,
      finishReason: pieces.length < allPieces.length ? "length" : "stop",
      promptTokens,
      stream: request.stream === true,
      includeUsage: request.stream_options?.include_usage === true,
      headers: rateLimitHeaders(account, now),
    };
    await answer(res, plan);
  }

  /** Answers an admitted request, tracking it in flight until it is sent or the client leaves. */
  async function answer(res: ServerResponse, plan: Plan): Promise<void> {
    const disconnected = new AbortController();
    // 'close' before our own end() means the client went away mid-answer.
    res.on("close", () => {
      if (!res.writableEnded) disconnected.abort();
    });
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    stats.promptTokens += plan.promptTokens;
    try {
      const finished = plan.stream ? await streamAnswer(res, plan, disconnected.signal) : await jsonAnswer(res, plan, disconnected.signal);
      if (finished) stats.completed += 1;
      else stats.aborted += 1;
    } finally {
      stats.inFlight -= 1;
    }
  }

  function usage(plan: Plan) {
    return {
      prompt_tokens: plan.promptTokens,
      completion_tokens: plan.pieces.length,
      total_tokens: plan.promptTokens + plan.pieces.length,
    };
  }

  async function jsonAnswer(res: ServerResponse, plan: Plan, signal: AbortSignal): Promise<boolean> {
    // A non-streamed reply arrives once the whole completion has been "generated".
    const generation = behaviour.latencyMs + behaviour.tokenDelayMs * Math.max(0, plan.pieces.length - 1);
    if (!(await pause(generation, signal))) return false;
    completionCount += 1;
    stats.completionTokens += plan.pieces.length;
    sendJson(
      res,
      200,
      {
        id: `chatcmpl-double-${completionCount}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: plan.model,
        system_fingerprint: null,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: plan.pieces.join(""), refusal: null },
            logprobs: null,
            finish_reason: plan.finishReason,
          },
        ],
        usage: usage(plan),
      },
      plan.headers,
    );
    return true;
  }

  async function streamAnswer(res: ServerResponse, plan: Plan, signal: AbortSignal): Promise<boolean> {
    if (!(await pause(behaviour.latencyMs, signal))) return false;
    completionCount += 1;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      ...plan.headers,
    });
    const base = {
      id: `chatcmpl-double-${completionCount}`,
      object: "chat.completion.chunk",
      created: Math.floor(Date.now() / 1000),
      model: plan.model,
      system_fingerprint: null,
    };
    // With include_usage, OpenAI puts "usage": null on every chunk and the totals on one extra chunk at the end.
    const usageField = plan.includeUsage ? { usage: null } : {};
    const event = (delta: object, finishReason: Plan["finishReason"] | null = null) =>
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...usageField })}\n\n`;

    res.write(event({ role: "assistant", content: "", refusal: null }));
    for (const [index, piece] of plan.pieces.entries()) {
      if (!(await pause(index > 0 ? behaviour.tokenDelayMs : 0, signal))) return false;
      if (index === behaviour.cutStreamAfterTokens) {
        // What was written reaches the client first: the break comes after those tokens.
        await new Promise((resolve) => res.write("", resolve));
        res.destroy();
        return false;
      }
      res.write(event({ content: piece }));
      stats.completionTokens += 1;
    }
    res.write(event({}, plan.finishReason));
    if (plan.includeUsage) res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: usage(plan) })}\n\n`);
    res.end("data: [DONE]\n\n");
    return true;
  }

  function reset(): void {
    // Requests already in flight are still running: the gauge keeps them so it returns to 0 as they
    // end, and whatever they do from now on counts in the fresh counters.
    stats = { ...emptyStats(), inFlight: stats.inFlight, maxInFlight: stats.inFlight };
    accounts = new Map();
    faultCredit = { failure: 0, rateLimit: 0 };
    recentPrompts = [];
  }

  function snapshot(): ProviderDoubleStats {
    return { ...stats, startTimes: [...stats.startTimes], startsByKey: { ...stats.startsByKey } };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? "/", "http://double");
    const endpoint = `${req.method} ${pathname}`;
    switch (endpoint) {
      case "POST /v1/chat/completions":
        return chatCompletions(req, res);
      case "GET /v1/models": {
        const ids = modelsSeen.size > 0 ? [...modelsSeen] : [DEFAULT_MODEL_ID];
        const data = ids.map((id) => ({ id, object: "model", created: 0, owned_by: "provider-double" }));
        return sendJson(res, 200, { object: "list", data });
      }
      // For a bench running the double in another process (scripts/provider-double.ts).
      case "GET /stats":
        return sendJson(res, 200, snapshot());
      // What the model was sent, for an end-to-end test to check which history a reply was given.
      case "GET /prompts":
        return sendJson(res, 200, { prompts: recentPrompts });
      case "POST /reset":
        reset();
        return sendJson(res, 200, snapshot());
      default:
        return sendError(res, 404, { message: `Unknown request URL: ${endpoint}`, type: "invalid_request_error" });
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      // Reading the body fails when the client leaves mid-upload; nothing is left to answer then,
      // and a failure here must never take the double down in the middle of a run.
      if (!res.headersSent && !res.destroyed) {
        sendError(res, 500, { message: `Provider double error: ${String(error)}`, type: "server_error" });
      } else {
        res.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${hostInUrl}:${address.port}/v1`,
    stats: snapshot,
    reset,
    setOptions(patch) {
      const { limiter } = behaviour;
      behaviour = applyPatch(behaviour, patch);
      // Each kind of limit keeps different books: a new kind starts them afresh.
      if (behaviour.limiter !== limiter) accounts = new Map();
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // close() alone waits for open streams and keep-alive sockets; the double is going away, so drop them.
        server.closeAllConnections();
      });
    },
  };
}
