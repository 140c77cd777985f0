/**
 * A simulated user: a guest session of its own, a distinct client address (X-Forwarded-For, read
 * by the app with TRUSTED_PROXY_HOPS=1), one message, and the reply read to its end as the
 * browser would, with the moment of each milestone recorded.
 */

/** What one user saw. Times are epoch milliseconds (fractional), from this process's clock. */
export interface UserOutcome {
  index: number;
  /** When the POST left. */
  postAt: number;
  /** HTTP status of the POST; 0 when the connection failed. */
  status: number;
  /** The app's error code for a non-2xx answer (`{ error: { code } }`), or the stream's error text. */
  errorCode?: string;
  firstQueueAt?: number;
  firstTextAt?: number;
  finishedAt?: number;
  /** The provider double's arrival stamp for the attempt that answered (`[t=…]` in the text). */
  stampAt?: number;
  /** Highest place in line the stream reported. */
  maxPosition?: number;
  /** The in-stream error, if the reply ended with one. */
  streamError?: string;
  text: string;
  /** A reply with text that ended with `finish` and no error. */
  completed: boolean;
  /** Connection attempts the server never accepted (its accept queue full), sent again. */
  connectRetries: number;
}

export interface Session {
  index: number;
  ip: string;
  cookie: string;
}

/** A distinct address per user, from 10.0.0.1 on (what a proxy would have written). */
export function userIp(index: number): string {
  const n = index + 1;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

export async function signInGuest(baseUrl: string, origin: string, index: number): Promise<Session> {
  const ip = userIp(index);
  for (let attempt = 0; ; attempt += 1) {
    const response = await fetch(`${baseUrl}/api/auth/sign-in/anonymous`, {
      method: "POST",
      headers: { "content-type": "application/json", origin, "x-forwarded-for": ip },
      body: "{}",
    });
    await response.arrayBuffer();
    const cookie = response.headers
      .getSetCookie()
      .map((entry) => entry.split(";")[0])
      .join("; ");
    if (response.ok && cookie.includes("session_token")) return { index, ip, cookie };
    if (attempt >= 3) throw new Error(`guest sign-in ${index} failed: HTTP ${response.status}`);
  }
}

const STAMP = /\[t=(\d+)\]/;

/** Connection failures before any answer: the server's accept queue was full, nothing was sent. */
const CONNECT_FAILURES = new Set(["UND_ERR_CONNECT_TIMEOUT", "ECONNRESET", "ECONNREFUSED"]);
const CONNECT_ATTEMPTS = 4;

/**
 * Posts, trying again while the connection itself fails. fetch gives up on a connection after
 * 10 s, where a browser keeps retrying it for a minute or two; the message is the same (same chat
 * and message id), so the app answers it once whichever attempt gets through.
 */
async function postPatiently(url: string, init: RequestInit, outcome: UserOutcome): Promise<Response> {
  for (;;) {
    try {
      return await fetch(url, init);
    } catch (error) {
      const code = ((error as Error).cause as { code?: string } | undefined)?.code;
      if (!code || !CONNECT_FAILURES.has(code) || outcome.connectRetries + 1 >= CONNECT_ATTEMPTS) throw error;
      outcome.connectRetries += 1;
    }
  }
}

/** Posts one message to `url` and reads the AI SDK UI message stream to its end. */
export async function sendAndRead(
  url: string,
  { index, headers, body, timeoutMs }: { index: number; headers: Record<string, string>; body: unknown; timeoutMs: number },
): Promise<UserOutcome> {
  const outcome: UserOutcome = { index, postAt: now(), status: 0, text: "", completed: false, connectRetries: 0 };
  let finished = false;
  try {
    const response = await postPatiently(
      url,
      {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      },
      outcome,
    );
    outcome.status = response.status;
    if (!response.ok || !response.body) {
      const raw = await response.text();
      try {
        const parsed = JSON.parse(raw) as { error?: { code?: string }; code?: string };
        outcome.errorCode = parsed.error?.code ?? parsed.code ?? `http-${response.status}`;
      } catch {
        outcome.errorCode = `http-${response.status}`;
      }
      return outcome;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let boundary: number;
      while ((boundary = buffer.indexOf("\n\n")) !== -1) {
        const event = buffer.slice(0, boundary).trim();
        buffer = buffer.slice(boundary + 2);
        if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
        const chunk = JSON.parse(event.slice(6)) as { type: string; delta?: string; errorText?: string; data?: { position?: number } };
        const at = now();
        switch (chunk.type) {
          case "data-queue":
            outcome.firstQueueAt ??= at;
            outcome.maxPosition = Math.max(outcome.maxPosition ?? 0, chunk.data?.position ?? 0);
            break;
          case "text-delta":
            outcome.firstTextAt ??= at;
            outcome.text += chunk.delta ?? "";
            break;
          case "error":
            outcome.streamError = chunk.errorText ?? "error";
            break;
          case "finish":
          case "abort":
            outcome.finishedAt = at;
            finished = true;
            break;
        }
      }
    }
  } catch (error) {
    outcome.streamError ??= describeFailure(error);
  }
  const stamp = STAMP.exec(outcome.text);
  if (stamp) outcome.stampAt = Number(stamp[1]);
  outcome.completed = finished && !outcome.streamError && outcome.text.length > 0;
  if (outcome.status === 200 && !outcome.completed) outcome.errorCode ??= classifyStreamError(outcome.streamError);
  return outcome;
}

/** The error and, for fetch's bare "fetch failed", the socket error under it (ECONNRESET, a timeout). */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const detail = cause ? ` (${cause.code ?? cause.message ?? String(cause)})` : "";
  return `${error.name}: ${error.message}${detail}`;
}

/** "429" when an in-stream error names a rate limit, "5xx" for a server error, else "stream-error". */
export function classifyStreamError(text: string | undefined): string {
  if (!text) return "stream-ended-early";
  const status = /\b(4\d\d|5\d\d)\b/.exec(text);
  if (status) return `in-stream ${status[1]}`;
  if (/rate limit/i.test(text)) return "in-stream 429";
  return "in-stream error";
}

export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Runs `work` over `items` with at most `concurrency` at once, keeping the results in order. */
export async function mapPool<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/**
 * Starts `count` calls spread evenly over `spreadMs` (user i at i × spreadMs / count) and waits
 * for all of them: a burst of arrivals, each then held open as long as its reply streams.
 */
export async function burst<R>(count: number, spreadMs: number, call: (index: number) => Promise<R>): Promise<R[]> {
  const started = now();
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const due = started + (count > 1 ? (index * spreadMs) / (count - 1) : 0);
      const wait = due - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return call(index);
    }),
  );
}
