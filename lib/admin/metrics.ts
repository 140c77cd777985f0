/**
 * GET /api/metrics for machines: the overview's figures (readOverview) in Prometheus's text
 * format, built into a fresh registry per scrape so nothing is cached between scrapes or shared
 * between instances' processes. Totals are counters, figures of the moment are gauges.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Counter, Gauge, Registry } from "prom-client";
import type { AppConfig } from "@/lib/config";
import { commandCounts } from "@/lib/hot/command-count";
import { REFUSAL_CODES, REFUSAL_SCOPES } from "@/lib/limits/refusal-counts";
import type { Overview } from "./overview";

/** "off" when METRICS_TOKEN is unset (404), "denied" for a missing or wrong bearer token (401). */
export function metricsAccess(config: Pick<AppConfig, "metrics">, authorization: string | null): "off" | "denied" | "allowed" {
  const expected = config.metrics.token;
  if (!expected) return "off";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) return "denied";
  // Compared as digests: equal length whatever was sent, and in constant time.
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(match[1]), digest(expected)) ? "allowed" : "denied";
}

export async function renderMetrics(overview: Overview): Promise<{ contentType: string; body: string }> {
  const registry = new Registry();
  const gauge = (name: string, help: string, value: number) =>
    new Gauge({ name: `stampede_${name}`, help, registers: [registry] }).set(value);
  const counter = (name: string, help: string, value: number) =>
    new Counter({ name: `stampede_${name}`, help, registers: [registry] }).inc(value);
  const labelledCounter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name: `stampede_${name}`, help, labelNames, registers: [registry] });

  gauge("reply_streams_active", "Reply streams open to browsers, on every instance.", overview.activeStreams);
  gauge("queue_depth", "Replies waiting for a model slot.", overview.queue.depth);
  gauge("queue_wait_estimate_seconds", "Wait a reply joining the line now is told.", overview.queue.waitSeconds);
  gauge("replies_served_per_second", "Replies finished per second over the last minute.", overview.queue.servedPerSecond);
  gauge("model_calls_in_flight", "Model calls running now, on every instance.", overview.modelCalls.inFlight);
  gauge("model_calls_max_concurrency", "Model calls allowed at once (LLM_MAX_CONCURRENCY).", overview.modelCalls.maxConcurrency);
  gauge("model_calls_last_minute", "Model calls started in the last minute.", overview.modelCalls.lastMinute);
  gauge("model_calls_rpm_limit", "The provider's requests per minute (LLM_RPM).", overview.modelCalls.rpmLimit);
  gauge("model_calls_pace_per_minute", "Model call starts per minute the scheduler allows now: the capacity bucket's limit, as learnt from the provider.", overview.modelCalls.pacePerMinute);
  counter("model_calls_total", "Model calls started (one per attempt; cached replies make none).", overview.modelCalls.total);

  counter("replies_completed_total", "Replies the model finished.", overview.replies.completed);
  counter("replies_failed_total", "Replies that ended in an error or were given up.", overview.replies.failed);
  counter("reply_retries_total", "Reply attempts after the first.", overview.replies.retries);
  counter("provider_rate_limited_total", "429 answers from the model provider.", overview.replies.rateLimited);
  counter("reply_fallbacks_total", "Reply attempts made on the fallback model.", overview.replies.fallbacks);
  const routes = labelledCounter("replies_by_route_total", "Replies by the model and API key id that answered them.", ["model", "key"]);
  for (const route of overview.replyRoutes) routes.labels(route.model, route.keyId).inc(route.replies);
  const spend = labelledCounter("spend_usd_total", "What replies cost in US dollars, by model and plan, at the price table (LLM_PRICES); models with no price are left out.", ["model", "plan"]);
  for (const { model, plan, micros } of overview.spend.byModelAndPlan) spend.labels(model, plan).inc(micros / 1_000_000);
  const titles = labelledCounter("chat_titles_total", "Title jobs by outcome: written, renamed, backlog, busy, no-capacity, empty, failed.", ["outcome"]);
  for (const [outcome, count] of Object.entries(overview.titles)) titles.labels(outcome).inc(count);
  const tokens = labelledCounter("model_tokens_total", "Model tokens spent, prompt (in) and reply (out).", ["direction"]);
  tokens.labels("in").inc(overview.replies.tokensIn);
  tokens.labels("out").inc(overview.replies.tokensOut);

  const refusals = labelledCounter(
    "refusals_total",
    "Requests refused by a rate limit or quota, by tier (auth: sign-in and sign-up attempts) and code.",
    ["tier", "code"],
  );
  for (const tier of REFUSAL_SCOPES) {
    for (const code of REFUSAL_CODES) refusals.labels(tier, code).inc(overview.refusals[tier][code]);
  }

  counter("reply_cache_hits_total", "First messages answered from the reply cache.", overview.cache.hits);
  counter("reply_cache_misses_total", "First messages the reply cache could not answer.", overview.cache.misses);
  counter("reply_cache_tokens_saved_total", "Model tokens the reply cache saved.", overview.cache.tokensSaved);

  gauge("flush_backlog_chats", "Chats with writes Postgres does not have yet.", overview.flush.backlog);
  gauge("flush_lag_seconds", "Age of the oldest write Postgres does not have yet.", overview.flush.lagMs / 1000);
  counter("flush_runs_total", "Write-behind flush runs.", overview.flush.runs);
  counter("flush_failures_total", "Flush runs that failed or set chats aside.", overview.flush.failures);
  counter("flush_chats_rejected_total", "Chats Postgres refused for their content.", overview.flush.chatsRejected);
  gauge("flush_set_aside_chats", "Chats the flush set aside after Postgres refused them.", overview.flush.setAside);
  counter("flush_rows_written_total", "Message rows the flush inserted.", overview.flush.rowsWritten);

  const errors = labelledCounter("errors_total", "Error responses by code.", ["code"]);
  for (const [code, count] of Object.entries(overview.errors)) errors.labels(code).inc(count);

  const limiterFailures = labelledCounter(
    "limiter_failures_total",
    "Requests the rate limiter could not judge, by outcome; this instance only.",
    ["outcome"],
  );
  for (const [outcome, count] of Object.entries(overview.limiterFailures)) limiterFailures.labels(outcome).inc(count);

  const commands = labelledCounter(
    "hot_store_commands_total",
    "Redis or Upstash commands sent, by activity (a route's name, reply-job, reply-reader, flush, background); this instance only.",
    ["activity"],
  );
  const requests = labelledCounter(
    "hot_store_requests_total",
    "Round trips to Redis or Upstash (one command, or a pipeline of many), by activity; this instance only.",
    ["activity"],
  );
  const commandsByName = labelledCounter(
    "hot_store_commands_by_name_total",
    "Redis or Upstash commands sent, by activity and command name (evalsha, llen, ...); this instance only.",
    ["activity", "command"],
  );
  // This process's own counts, not the deployment's: kept apart from the overview every instance shares.
  for (const [activity, count] of Object.entries(commandCounts())) {
    commands.labels(activity).inc(count.commands);
    requests.labels(activity).inc(count.requests);
    for (const [command, sent] of Object.entries(count.byName)) commandsByName.labels(activity, command).inc(sent);
  }

  return { contentType: registry.contentType, body: await registry.metrics() };
}
