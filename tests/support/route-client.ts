/**
 * Calls the app's real route handlers in process, as Next.js would, with a cookie jar per user:
 * API tests exercise validation, auth, ownership and error mapping without a build.
 */
// `any`: each route declares its own params shape, and Next.js passes whatever the path holds.
type Handler = (request: Request, segment: { params: Promise<any> }) => Promise<Response>;

export const TEST_ORIGIN = "http://localhost:3000";

export interface CallOptions {
  method?: string;
  path: string;
  params?: Record<string, string | string[]>;
  /** Sent as JSON unless `rawBody` is given. */
  json?: unknown;
  rawBody?: string;
  /** A binary body (an upload), sent as is. */
  bytes?: Uint8Array;
  /** Added to the client's own; `null` leaves a header out (a request without an Origin, say). */
  headers?: Record<string, string | null>;
}

let clientCount = 0;

export class RouteClient {
  private cookies = new Map<string, string>();
  /** Each client comes from its own address (a documentation range) unless told, as a proxy would report it. */
  constructor(readonly ip = `203.0.113.${(clientCount++ % 250) + 1}`) {}

  async call(handler: Handler, options: CallOptions): Promise<Response> {
    const headers = new Headers({ origin: TEST_ORIGIN, "x-forwarded-for": this.ip });
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value === null) headers.delete(name);
      else headers.set(name, value);
    }
    if (this.cookies.size > 0) {
      headers.set("cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    }
    let body: string | Uint8Array<ArrayBuffer> | undefined = options.bytes ? new Uint8Array(options.bytes) : options.rawBody;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const request = new Request(new URL(options.path, TEST_ORIGIN), { method: options.method ?? "GET", headers, body });
    const response = await handler(request, { params: Promise.resolve(options.params ?? {}) });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const [name, ...value] = pair.split("=");
      this.cookies.set(name.trim(), value.join("="));
    }
    return response;
  }

  /** Another client with a copy of this one's cookies, as a second tab or a copied cookie would have. */
  copy(): RouteClient {
    const other = new RouteClient(this.ip);
    for (const [name, value] of this.cookies) other.cookies.set(name, value);
    return other;
  }

  get signedIn(): boolean {
    return [...this.cookies.keys()].some((name) => name.endsWith("session_token"));
  }
}
