/** Driver health for GET /api/health: each port is asked to answer within a short timeout. */
import type { Services } from "@/lib/services";

export interface HealthReport {
  status: "ok" | "degraded";
  drivers: Record<"database" | "hotStore" | "jobs" | "model", { driver: string; ok: boolean; error?: string }>;
}

const CHECK_TIMEOUT_MS = 2000;

async function check(probe: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message.split("\n")[0].slice(0, 200) : "unreachable" };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHealth(services: Pick<Services, "db" | "hot" | "jobs" | "models">): Promise<HealthReport> {
  const [database, hotStore] = await Promise.all([check(() => services.db.ping()), check(() => services.hot.ping())]);
  const drivers: HealthReport["drivers"] = {
    database: { driver: services.db.driver, ...database },
    hotStore: { driver: services.hot.driver, ...hotStore },
    // The job runner and the model provider hold no connection of their own to probe.
    jobs: { driver: services.jobs.driver, ok: true },
    model: { driver: services.models.driver, ok: true },
  };
  const ok = Object.values(drivers).every((entry) => entry.ok);
  return { status: ok ? "ok" : "degraded", drivers };
}

/** The report without the drivers' error messages, which name internal hosts: what anyone may see. */
export function withoutErrorDetails(report: HealthReport): HealthReport {
  const drivers = Object.fromEntries(
    Object.entries(report.drivers).map(([name, { error: _error, ...entry }]) => [name, entry]),
  ) as HealthReport["drivers"];
  return { status: report.status, drivers };
}
