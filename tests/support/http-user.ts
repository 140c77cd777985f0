/**
 * A user of a running Stampede server (or several): a guest session, its own client address and
 * the reply streams it reads, for tests against real `next start` processes.
 */

export interface StreamRead {
  status: number;
  chunks: { type: string; delta?: string; errorText?: string; data?: { position?: number } }[];
  text: string;
  /** Place in line reported by each data-queue part, in order. */
  positions: number[];
  error?: string;
  /** The stream reached its terminal chunk (finish or abort). */
  finished: boolean;
  /** The read stopped at `until`, at the timeout, or because the connection broke. */
  stoppedBy: "end" | "until" | "timeout" | "connection";
}

export class HttpUser {
  cookie = "";

  constructor(
    readonly ip: string,
    readonly origin: string,
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { origin: this.origin, "x-forwarded-for": this.ip, ...(this.cookie && { cookie: this.cookie }), ...extra };
  }

  async signIn(baseUrl: string): Promise<void> {
    const response = await this.post(baseUrl, "/api/auth/sign-in/anonymous", {});
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`guest sign-in failed: ${response.status}`);
    this.keepCookies(response);
  }

  /** Signs up with email and password; resolves with better-auth's answer (user, or error). */
  async signUp(
    baseUrl: string,
    account: { email: string; password: string; name: string },
  ): Promise<{ status: number; body: { user?: { id: string; email: string; role?: string }; code?: string } }> {
    const response = await this.post(baseUrl, "/api/auth/sign-up/email", account);
    this.keepCookies(response);
    return { status: response.status, body: await response.json() };
  }

  private keepCookies(response: Response): void {
    const cookies = response.headers.getSetCookie().map((cookie) => cookie.split(";")[0]);
    if (cookies.length > 0) this.cookie = cookies.join("; ");
  }

  send(baseUrl: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    return fetch(`${baseUrl}/api/chat`, {
      method: "POST",
      headers: this.headers({ "content-type": "application/json" }),
      body: JSON.stringify(body),
      signal,
    });
  }

  /** A JSON POST with the session, as the app's own client sends one (`{}` for body-less actions). */
  post(baseUrl: string, path: string, body: unknown = {}): Promise<Response> {
    return fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: this.headers({ "content-type": "application/json" }),
      body: JSON.stringify(body),
    });
  }

  get(baseUrl: string, path: string, signal?: AbortSignal): Promise<Response> {
    return fetch(`${baseUrl}${path}`, { headers: this.headers(), signal });
  }
}

/**
 * Reads an AI SDK UI message stream until its end, until `until` says stop (the connection is
 * then left to the caller), or until `timeoutMs`.
 */
export async function readStream(
  response: Response,
  { until, timeoutMs = 30_000 }: { until?: (read: StreamRead) => boolean; timeoutMs?: number } = {},
): Promise<StreamRead & { reader?: ReadableStreamDefaultReader<Uint8Array> }> {
  const read: StreamRead = { status: response.status, chunks: [], text: "", positions: [], finished: false, stoppedBy: "end" };
  if (!response.body) return read;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout") {
        read.stoppedBy = "timeout";
        await reader.cancel().catch(() => undefined);
        return read;
      }
      if (next.done) return read;
      buffer += decoder.decode(next.value, { stream: true });
      let boundary: number;
      while ((boundary = buffer.indexOf("\n\n")) !== -1) {
        const event = buffer.slice(0, boundary).trim();
        buffer = buffer.slice(boundary + 2);
        if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
        const chunk = JSON.parse(event.slice(6)) as StreamRead["chunks"][number];
        read.chunks.push(chunk);
        if (chunk.type === "text-delta") read.text += chunk.delta ?? "";
        if (chunk.type === "data-queue" && chunk.data?.position !== undefined) read.positions.push(chunk.data.position);
        if (chunk.type === "error") read.error = chunk.errorText;
        if (chunk.type === "finish" || chunk.type === "abort") read.finished = true;
        if (until?.(read)) {
          read.stoppedBy = "until";
          return { ...read, reader };
        }
      }
    }
  } catch {
    read.stoppedBy = "connection";
    return read;
  } finally {
    clearTimeout(timer);
  }
}
