/** Figures from a burst's outcomes, and the table both runs are printed side by side in. */
import type { UserOutcome } from "./client";

export interface Distribution {
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/** Nearest-rank percentile (p in 0..100) of the values; null when there are none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function distribution(values: number[]): Distribution {
  return {
    count: values.length,
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    max: round(values.length > 0 ? Math.max(...values) : null),
  };
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

export interface ProviderStats {
  requests: number;
  completed: number;
  rateLimited: number;
  failed: number;
  maxInFlight: number;
  startTimes: number[];
}

export interface BurstFigures {
  users: number;
  repliesCompleted: number;
  /** User-visible failures by kind: HTTP status and code, or the in-stream error. */
  errorsByStatus: Record<string, number>;
  userVisibleErrors: number;
  provider429s: number;
  providerRequests: number;
  /** Requests the provider admitted ÷ (its cap × the time a backlog existed). */
  utilisation: number | null;
  backlogSeconds: number | null;
  /** POST sent → arrival at the provider of the attempt that answered, in ms. */
  queueWaitMs: Distribution;
  /** Arrival at the provider of the answering attempt → first text token at the user, in ms. */
  ttftAfterQueueMs: Distribution;
  /** POST sent → first text token, in ms: what the user waits in all. */
  timeToFirstTokenMs: Distribution;
  /** First POST → last reply finished, in seconds. */
  wallSeconds: number;
}

/**
 * Summarises a burst. The backlog lasts from the first POST until the provider admitted the last
 * request it answered (no reply waited after that); utilisation counts the admissions in that
 * span against the cap (`capPerMinute`) over the same span.
 */
export function burstFigures(outcomes: UserOutcome[], provider: ProviderStats, capPerMinute: number): BurstFigures {
  const errorsByStatus: Record<string, number> = {};
  for (const outcome of outcomes) {
    if (outcome.completed) continue;
    const key = outcome.status === 200 ? (outcome.errorCode ?? "stream-error") : `${outcome.status} ${outcome.errorCode ?? ""}`.trim();
    errorsByStatus[key] = (errorsByStatus[key] ?? 0) + 1;
  }
  const firstPost = Math.min(...outcomes.map((outcome) => outcome.postAt));
  const lastFinish = Math.max(...outcomes.map((outcome) => outcome.finishedAt ?? outcome.postAt));
  const admissions = provider.startTimes.filter((at) => at >= firstPost - 1000);
  const lastAdmission = admissions.length > 0 ? Math.max(...admissions) : null;
  const backlogMs = lastAdmission === null ? null : lastAdmission - firstPost;
  const completed = outcomes.filter((outcome) => outcome.completed);
  const stamped = completed.filter((outcome) => outcome.stampAt !== undefined && outcome.firstTextAt !== undefined);
  return {
    users: outcomes.length,
    repliesCompleted: completed.length,
    errorsByStatus,
    userVisibleErrors: outcomes.length - completed.length,
    provider429s: provider.rateLimited,
    providerRequests: provider.requests,
    utilisation:
      backlogMs === null || backlogMs <= 0 ? null : admissions.length / ((capPerMinute / 60_000) * backlogMs),
    backlogSeconds: backlogMs === null ? null : backlogMs / 1000,
    queueWaitMs: distribution(stamped.map((outcome) => Math.max(0, outcome.stampAt! - outcome.postAt))),
    ttftAfterQueueMs: distribution(stamped.map((outcome) => Math.max(0, outcome.firstTextAt! - outcome.stampAt!))),
    timeToFirstTokenMs: distribution(completed.filter((o) => o.firstTextAt).map((outcome) => outcome.firstTextAt! - outcome.postAt)),
    wallSeconds: (lastFinish - firstPost) / 1000,
  };
}

export function formatBytes(bytes: number | null | undefined): string {
  return bytes == null ? "n/a" : `${Math.round(bytes / (1024 * 1024))} MB`;
}

export function formatMs(value: number | null | undefined): string {
  if (value == null) return "n/a";
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

export function formatDistribution(d: Distribution): string {
  return `${formatMs(d.p50)} / ${formatMs(d.p95)} / ${formatMs(d.max)}`;
}

/** "12.3×" comparing a to b; "—" when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): string {
  if (a == null || b == null) return "—";
  if (b === 0) return a === 0 ? "=" : "∞";
  const r = a / b;
  return r >= 100 ? `${Math.round(r)}×` : `${r.toFixed(r >= 10 ? 1 : 2)}×`;
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
