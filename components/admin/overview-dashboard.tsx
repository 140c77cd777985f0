"use client";

import { useEffect, useState } from "react";
import { problemFromError, type ApiProblem } from "@/components/chat/chat-api";
import type { Overview } from "@/lib/admin/overview";
import { ActivityChart } from "./activity-chart";
import { fetchOverview } from "./admin-api";
import { ProblemNotice } from "./problem-notice";
import { TableHead } from "./table-head";
import { StatCard } from "./stat-card";
import { SpendPanel } from "./spend-panel";

const POLL_MS = 2_000;

const COLORS = {
  blue: "oklch(0.62 0.17 255)",
  green: "oklch(0.66 0.15 150)",
  red: "oklch(0.63 0.2 27)",
  amber: "oklch(0.74 0.15 75)",
};

const TIER_LABELS = { guest: "Guest", free: "Free", pro: "Pro", admin: "Admin", auth: "Sign-in / sign-up" } as const;

const count = (value: number) => value.toLocaleString("en-US");

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000).toLocaleString("en-US")} s`;
}

const ROUTE_COLUMNS = [
  { label: "Model", numeric: false },
  { label: "Key id", numeric: false },
  { label: "Replies", numeric: true },
  { label: "Fallbacks (failed · no headroom)", numeric: true },
];

const REFUSAL_COLUMNS = [
  { label: "Tier", numeric: false },
  { label: "Rate limited", numeric: true },
  { label: "Quota", numeric: true },
  { label: "Budget", numeric: true },
];

/** Replies by the model and key that answered them: how the key pool and the fallback chains are used. */
function ReplyRoutes({ routes }: { routes: Overview["replyRoutes"] }) {
  return (
    <section aria-labelledby="routes-title" className="rounded-lg border border-border bg-card p-4">
      <h2 id="routes-title" className="text-sm font-medium">
        Replies by model and key
      </h2>
      {routes.length === 0 ? (
        <p className="mt-3 text-sm text-muted-foreground">No replies yet.</p>
      ) : (
        <table className="mt-3 w-full text-sm" data-testid="overview-reply-routes">
          <TableHead columns={ROUTE_COLUMNS} />
          <tbody>
            {routes.map((route) => (
              <tr key={`${route.model} ${route.keyId}`} className="border-t border-border">
                <td className="py-1.5">{route.model}</td>
                <td className="py-1.5 font-mono text-xs">{route.keyId}</td>
                <td className="py-1.5 text-right tabular-nums">{count(route.replies)}</td>
                <td className="py-1.5 text-right tabular-nums">
                  {count(route.fallbacks.failed)} · {count(route.fallbacks["no-headroom"])}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The overview's figures, read again every 2 s while the tab is visible. */
export function OverviewDashboard({ initial }: { initial: Overview }) {
  const [overview, setOverview] = useState(initial);
  const [problem, setProblem] = useState<ApiProblem>();

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      if (document.visibilityState === "visible") {
        try {
          setOverview(await fetchOverview(controller.signal));
          setProblem(undefined);
        } catch (error) {
          if (controller.signal.aborted) return;
          setProblem(problemFromError(error));
        }
      }
      if (!controller.signal.aborted) timer = setTimeout(poll, POLL_MS);
    };
    timer = setTimeout(poll, POLL_MS);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, []);

  const { queue, modelCalls, replies, cache, flush } = overview;
  const errors = Object.entries(overview.errors).filter(([, value]) => value > 0);
  const limiterFailures = Object.values(overview.limiterFailures).reduce((sum, value) => sum + value, 0);

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm text-muted-foreground">
          <span className="mr-2 inline-block size-2 rounded-full bg-[oklch(0.66_0.15_150)]" aria-hidden="true" />
          Live: updated <time data-testid="overview-updated-at" dateTime={new Date(overview.at).toISOString()}>
            {new Date(overview.at).toLocaleTimeString()}
          </time>{" "}
          · {overview.drivers}
        </p>
      </div>
      {problem && <ProblemNotice problem={problem} />}

      <section aria-label="Figures now" className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <StatCard label="Active reply streams" value={count(overview.activeStreams)} detail="open on every instance" testId="overview-active-streams" />
        <StatCard
          label="Queue"
          value={count(queue.depth)}
          detail={`~${count(queue.waitSeconds)} s wait · ${queue.servedPerSecond.toFixed(1)} replies/s`}
          testId="overview-queue-depth"
        />
        <StatCard
          label="Model calls in flight"
          value={`${count(modelCalls.inFlight)} / ${count(modelCalls.maxConcurrency)}`}
          detail="against LLM_MAX_CONCURRENCY"
          testId="overview-in-flight"
          tone={modelCalls.inFlight >= modelCalls.maxConcurrency ? "warning" : "normal"}
        />
        <StatCard
          label="Model calls, last minute"
          value={`${count(modelCalls.lastMinute)} / ${count(modelCalls.rpmLimit)}`}
          detail={
            <>
              against LLM_RPM · paced at {count(Math.floor(modelCalls.pacePerMinute))}/min ·{" "}
              <span data-testid="overview-model-calls-total">{count(modelCalls.total)}</span> in all
            </>
          }
          testId="overview-model-calls-minute"
          tone={modelCalls.lastMinute >= modelCalls.rpmLimit ? "warning" : "normal"}
        />
        <StatCard
          label="Replies completed"
          value={count(replies.completed)}
          detail={`${count(replies.failed)} failed · ${count(replies.tokensIn + replies.tokensOut)} tokens`}
          testId="overview-replies-completed"
        />
        <StatCard
          label="Provider 429s"
          value={count(replies.rateLimited)}
          detail={`${count(replies.retries)} retries · ${count(replies.fallbacks)} fallbacks`}
          testId="overview-provider-429s"
        />
        <StatCard
          label="Reply cache hit rate"
          value={cache.hitRate === null ? "–" : `${Math.round(cache.hitRate * 100)}%`}
          detail={`${count(cache.hits)} hits · ${count(cache.tokensSaved)} tokens saved`}
          testId="overview-cache-hit-rate"
        />
        <StatCard
          label="Flush backlog"
          value={count(flush.backlog)}
          detail={`chats · lag ${seconds(flush.lagMs)} · ${count(flush.failures)} failed runs · ${count(flush.setAside)} set aside`}
          testId="overview-flush-backlog"
          tone={(flush.failures > 0 && flush.backlog > 0) || flush.setAside > 0 ? "warning" : "normal"}
        />
      </section>

      <section aria-label="The last hour" className="grid gap-3 lg:grid-cols-2">
        <ActivityChart
          title="Replies and model calls"
          points={overview.series}
          lines={[
            { key: "repliesCompleted", label: "Replies completed", color: COLORS.green },
            { key: "modelCalls", label: "Model calls", color: COLORS.blue },
          ]}
        />
        <ActivityChart
          title="Refusals and provider 429s"
          points={overview.series}
          lines={[
            { key: "refusals", label: "Refusals", color: COLORS.amber },
            { key: "provider429s", label: "Provider 429s", color: COLORS.red },
          ]}
        />
        <ActivityChart title="Reply cache hits" points={overview.series} lines={[{ key: "cacheHits", label: "Cache hits", color: COLORS.green }]} />
        <ActivityChart title="Queue depth (most waiting)" points={overview.series} lines={[{ key: "queueDepth", label: "Most waiting", color: COLORS.blue }]} />
      </section>

      <div className="grid gap-3 lg:grid-cols-2">
        <section aria-labelledby="refusals-title" className="min-w-0 rounded-lg border border-border bg-card p-4">
          <h2 id="refusals-title" className="text-sm font-medium">
            Rate-limit, quota and budget refusals by tier
          </h2>
          <div className="mt-3 overflow-x-auto">
            <table className="w-full text-sm" data-testid="overview-refusals">
              <TableHead columns={REFUSAL_COLUMNS} />
              <tbody>
                {(Object.keys(TIER_LABELS) as (keyof typeof TIER_LABELS)[]).map((tier) => (
                  <tr key={tier} className="border-t border-border">
                    <td className="py-1.5">{TIER_LABELS[tier]}</td>
                    <td className="py-1.5 text-right tabular-nums">{count(overview.refusals[tier].rate_limited)}</td>
                    <td className="py-1.5 text-right tabular-nums">{count(overview.refusals[tier].quota_exceeded)}</td>
                    <td className="py-1.5 text-right tabular-nums">{tier === "auth" ? "" : count(overview.refusals[tier].budget_exceeded)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
        <section aria-labelledby="errors-title" className="rounded-lg border border-border bg-card p-4">
          <h2 id="errors-title" className="text-sm font-medium">
            Error responses by code
          </h2>
          {errors.length === 0 ? (
            <p className="mt-3 text-sm text-muted-foreground">No error responses yet.</p>
          ) : (
            <table className="mt-3 w-full text-sm" data-testid="overview-errors">
              <tbody>
                {errors.map(([code, value]) => (
                  <tr key={code} className="border-t border-border first:border-t-0">
                    <td className="py-1.5 font-mono text-xs">{code}</td>
                    <td className="py-1.5 text-right tabular-nums">{count(value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="mt-3 text-xs text-muted-foreground">
            Limiter did not answer (this instance): {count(limiterFailures)}
            {limiterFailures > 0 &&
              ` (${count(overview.limiterFailures.refused)} refused, ${count(overview.limiterFailures.allowed)} let through, ${count(overview.limiterFailures.unrecorded)} token counts lost)`}
          </p>
        </section>
        <ReplyRoutes routes={overview.replyRoutes} />
        <SpendPanel spend={overview.spend} />
      </div>
    </div>
  );
}
