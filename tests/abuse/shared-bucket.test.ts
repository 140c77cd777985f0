/**
 * Issue 14, point 2: no shared bucket by accident. With the default configuration
 * (TRUSTED_PROXY_HOPS=0) every client used to share one address for per-network limits: 30 guest
 * sessions from one client made every other visitor's guest session answer 429, and 3 sign-ups
 * blocked everyone's sign-up. Now `npm start` counts the address the connection came from; behind
 * a proxy (TRUSTED_PROXY_HOPS=1) the address it forwards is counted, as before. Replayed over HTTP
 * against the production server, each client connecting from its own loopback address.
 *
 * Needs a production build (`npm run build`; `npm test` builds first).
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SOCKET_ADDRESS_HEADER } from "@/lib/limits/socket-address.mts";
import { startProductionInstance, type ProductionInstance } from "../support/production-instance";
import { uniqueSuffix } from "../support/scratch";

/** Per network, a minute (README, Plans and limits). */
const GUEST_SESSIONS_PER_MINUTE = 30;
const SIGN_UPS_PER_MINUTE = 3;

let direct: ProductionInstance;
let proxied: ProductionInstance;

beforeAll(async () => {
  [direct, proxied] = await Promise.all([
    startProductionInstance({ port: 3740, env: { TRUSTED_PROXY_HOPS: "0" } }),
    startProductionInstance({ port: 3741, env: { TRUSTED_PROXY_HOPS: "1" } }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([direct?.stop(), proxied?.stop()]);
}, 60_000);

/** A JSON POST over a connection from `localAddress` (any 127.x.y.z on Linux), as a distinct client. */
function postFrom(
  localAddress: string,
  server: ProductionInstance,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${server.url}${path}`,
      {
        method: "POST",
        localAddress,
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), origin: server.url, ...headers },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    outgoing.on("error", reject);
    outgoing.end(payload);
  });
}

const guestSession = (from: string, server: ProductionInstance, headers?: Record<string, string>) =>
  postFrom(from, server, "/api/auth/sign-in/anonymous", {}, headers);

/**
 * Sends until refused, and returns how many were accepted first. The limits are sliding windows
 * weighed across two fixed ones (@upstash/ratelimit), so near a window's end a few more than the
 * limit may pass: the refusal comes at the limit or a little after.
 */
async function acceptedUntilRefused(send: () => Promise<{ status: number }>, limit: number): Promise<number> {
  for (let accepted = 0; accepted < 2 * limit; accepted++) {
    const { status } = await send();
    if (status === 429) return accepted;
    expect(status).toBe(200);
  }
  throw new Error(`no refusal after ${2 * limit} requests`);
}

const signUp = (from: string, server: ProductionInstance) =>
  postFrom(from, server, "/api/auth/sign-up/email", {
    email: `u-${uniqueSuffix()}@example.test`,
    password: "a long enough password",
    name: "Someone",
  });

describe("with the default configuration (no trusted proxy)", () => {
  it("30 guest sessions from one client leave another client's guest session alone", async () => {
    const attacker = "127.0.0.2";
    const sessions = await acceptedUntilRefused(() => guestSession(attacker, direct), GUEST_SESSIONS_PER_MINUTE);
    expect(sessions).toBeGreaterThanOrEqual(GUEST_SESSIONS_PER_MINUTE);
    // The attacker's own address is spent, whatever headers it sends to pose as someone else.
    expect((await guestSession(attacker, direct, { "x-forwarded-for": "198.51.100.7", "x-real-ip": "198.51.100.7" })).status).toBe(429);
    expect((await guestSession(attacker, direct, { [SOCKET_ADDRESS_HEADER]: "127.0.0.3" })).status).toBe(429);

    expect((await guestSession("127.0.0.3", direct)).status).toBe(200);
  }, 60_000);

  it("3 sign-ups from one client do not block another client's sign-up", async () => {
    const attacker = "127.0.0.4";
    expect(await acceptedUntilRefused(() => signUp(attacker, direct), SIGN_UPS_PER_MINUTE)).toBeGreaterThanOrEqual(SIGN_UPS_PER_MINUTE);

    expect((await signUp("127.0.0.5", direct)).status).toBe(200);
  }, 60_000);
});

describe("behind a proxy (TRUSTED_PROXY_HOPS=1)", () => {
  it("counts the forwarded address: one network's guest sessions are limited, another's are not", async () => {
    // Both networks reach the app through the same proxy, so through the same socket address.
    const proxy = "127.0.0.6";
    const network = { "x-forwarded-for": "203.0.113.50" };
    const sessions = await acceptedUntilRefused(() => guestSession(proxy, proxied, network), GUEST_SESSIONS_PER_MINUTE);
    expect(sessions).toBeGreaterThanOrEqual(GUEST_SESSIONS_PER_MINUTE);
    // A client cannot step out of its network by writing another address left of the proxy's entry.
    expect((await guestSession(proxy, proxied, { "x-forwarded-for": "192.0.2.1, 203.0.113.50" })).status).toBe(429);

    expect((await guestSession(proxy, proxied, { "x-forwarded-for": "203.0.113.51" })).status).toBe(200);
  }, 60_000);
});
