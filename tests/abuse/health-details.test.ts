/**
 * Issue 14, point 10: /api/health names a driver that does not answer to anyone, but the
 * driver's error message (internal host names and ports) only to a caller holding METRICS_TOKEN.
 * Replayed over HTTP against `next start` whose Redis is reached through a proxy the test cuts,
 * so the configured Redis address is a closed port.
 *
 * Needs a production build (`npm run build`; `npm test` builds first).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { freeLoopbackPort } from "@/scripts/test/free-port";
import { TcpProxy } from "../support/tcp-proxy";
import { startProductionInstance, type ProductionInstance } from "../support/production-instance";
import { TEST_REDIS_URL } from "../support/services";
import { waitFor } from "../support/wait-for";

const METRICS_TOKEN = "abuse-metrics-token-0123456789";
let server: ProductionInstance;
let proxy: TcpProxy;

beforeAll(async () => {
  const redis = new URL(TEST_REDIS_URL);
  proxy = new TcpProxy(await freeLoopbackPort(), { host: redis.hostname, port: Number(redis.port || 6379) });
  await proxy.open();
  const viaProxy = new URL(TEST_REDIS_URL);
  viaProxy.port = String(proxy.port);
  server = await startProductionInstance({ port: 3633, redisUrl: viaProxy.toString(), env: { METRICS_TOKEN } });
  await proxy.cut();
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await proxy?.cut().catch(() => undefined);
}, 60_000);

async function health(authorization?: string): Promise<{ status: number; body: { status: string; drivers: Record<string, { ok: boolean; error?: string }> } }> {
  const response = await fetch(`${server.url}/api/health`, { headers: authorization ? { authorization } : {} });
  return { status: response.status, body: await response.json() };
}

it("shows the Redis error only with the metrics token", async () => {
  const withToken = await waitFor("the hot store reported down", () => health(`Bearer ${METRICS_TOKEN}`), (report) => report.status === 503);
  expect(withToken.body.drivers.hotStore).toMatchObject({ ok: false, error: expect.any(String) });

  for (const authorization of [undefined, "Bearer not-the-metrics-token"]) {
    const anyone = await health(authorization);
    expect(anyone.status).toBe(503);
    expect(anyone.body.status).toBe("degraded");
    expect(anyone.body.drivers.hotStore).toEqual({ driver: "redis", ok: false });
    expect(JSON.stringify(anyone.body)).not.toContain(String(proxy.port));
  }
}, 60_000);
