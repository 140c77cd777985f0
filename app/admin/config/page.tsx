import type { Metadata } from "next";
import type { ReactNode } from "react";
import { describeConfiguration } from "@/lib/admin/configuration";
import { PLANS } from "@/lib/domain";
import { formatUsd } from "@/lib/costs/reply-cost";
import { getServices } from "@/lib/services";
import { requireAdminPage } from "../admin-access";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Configuration" };

const count = (value: number) => value.toLocaleString("en-US");

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="rounded-lg border border-border bg-card p-4">
      <h2 className="text-sm font-medium">{title}</h2>
      <div className="mt-3 overflow-x-auto">{children}</div>
    </section>
  );
}

function Settings({ rows }: { rows: [label: string, value: ReactNode, source?: string][] }) {
  return (
    <table className="w-full text-sm">
      <tbody>
        {rows.map(([label, value, source]) => (
          <tr key={label} className="border-t border-border first:border-t-0">
            <td className="py-1.5 pr-3">
              {label}
              {source && <span className="ml-2 font-mono text-xs text-muted-foreground">{source}</span>}
            </td>
            <td className="py-1.5 text-right tabular-nums">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default async function AdminConfigPage() {
  await requireAdminPage();
  const view = describeConfiguration((await getServices()).config);
  const tiers = Object.entries(view.tiers);
  return (
    <>
      <h1 className="mb-1 text-xl font-semibold tracking-tight">Configuration</h1>
      <p className="mb-4 text-sm text-muted-foreground">
        Read-only: set through the environment, and the policy tables in lib/limits/policies.ts. Secrets are never shown.
      </p>
      <div className="grid gap-3 lg:grid-cols-2">
        <Section title="Drivers">
          <Settings
            rows={[
              ["Database", view.drivers.database],
              ["Hot store", view.drivers.hotStore],
              ["Job runner", view.drivers.jobs],
              ["Model provider", view.drivers.model],
              ["Attachment storage", view.drivers.storage, "S3_BUCKET or BLOB_READ_WRITE_TOKEN"],
              ["Metrics endpoint", view.metricsEndpoint, "METRICS_TOKEN"],
              ["Admin email set", view.adminEmailConfigured ? "yes" : "no", "ADMIN_EMAIL"],
            ]}
          />
        </Section>
        <Section title="Provider capacity">
          <Settings
            rows={[
              ["Models", view.provider.models.join(", "), "CHAT_MODELS"],
              ["Fallback model", view.provider.fallbackModel ?? "none", "FALLBACK_MODEL"],
              [
                "Fallback chains",
                PLANS.map((plan) => `${plan}: ${view.provider.modelChains[plan].join(" → ") || "none"}`).join(" · "),
                "LLM_MODEL_CHAIN_GUEST, _FREE, _PRO",
              ],
              ["API keys in the pool", count(view.provider.apiKeys), "OPENAI_API_KEYS (or ANTHROPIC_, AI_GATEWAY_)"],
              ["Model calls at once", count(view.provider.maxConcurrency), "LLM_MAX_CONCURRENCY"],
              ["Requests per minute", count(view.provider.rpm), "LLM_RPM"],
              ["Tokens per minute (per key)", view.provider.tpm === null ? "not set" : count(view.provider.tpm), "LLM_TPM"],
              [
                "Tokens per minute by model",
                Object.entries(view.provider.tpmByModel).map(([model, tpm]) => `${model}: ${count(tpm)}`).join(" · ") || "none",
                "LLM_TPM_BY_MODEL",
              ],
              ["Tokens per reply (estimate)", count(view.provider.tokensPerReply), "LLM_TOKENS_PER_REPLY"],
              [
                "Starts allowed (until the provider says otherwise)",
                `${count(view.provider.startsPerWindow.limit)} per ${count(view.provider.startsPerWindow.windowMs / 1000)} s (${count(Math.floor(view.provider.startsPerMinute))}/min)`,
                "LLM_LIMIT_WINDOW_MS",
              ],
              ["Retries", count(view.provider.maxRetries), "LLM_MAX_RETRIES"],
              ["Fallback after failures", count(view.provider.fallbackAfter), "LLM_FALLBACK_AFTER"],
              ["First retry delay", `${count(view.provider.retryBaseMs)} ms`, "LLM_RETRY_BASE_MS"],
            ]}
          />
        </Section>
        <Section title="Write-behind history">
          <Settings
            rows={[
              ["Flush every", `${count(view.flush.intervalSeconds)} s`, "FLUSH_INTERVAL"],
              ["Early flush past", `${count(view.flush.backlogThreshold)} chats`, "FLUSH_BACKLOG_THRESHOLD"],
              ["Hot history kept", `${count(view.flush.hotHistoryTtlSeconds)} s`, "HOT_HISTORY_TTL_SECONDS"],
              ["Reply cache kept", `${count(view.chat.replyCacheTtlSeconds)} s`, "REPLY_CACHE_TTL_SECONDS"],
              ["Longest message (all tiers)", `${count(view.chat.maxMessageLength)} characters`, "MAX_MESSAGE_LENGTH"],
            ]}
          />
        </Section>
        <Section title="Limiter">
          <Settings
            rows={[
              ["When the limiter can't answer", view.limits.failMode === "closed" ? "refuse (closed)" : "let through (open)", "RATE_LIMIT_FAIL_MODE"],
              ["Limiter timeout", `${count(view.limits.timeoutMs)} ms`, "RATE_LIMIT_TIMEOUT_MS"],
              ["Client IP from", view.limits.clientIp, "TRUSTED_PROXY_HOPS"],
            ]}
          />
        </Section>
      </div>

      <div className="mt-3 flex flex-col gap-3">
        <Section title="Plans">
          <table className="w-full text-sm" data-testid="admin-tier-policies">
            <thead className="text-left text-xs text-muted-foreground">
              <tr>
                <th className="py-1 pr-3 font-medium">Tier</th>
                <th className="py-1 pr-3 text-right font-medium">Per minute</th>
                <th className="py-1 pr-3 text-right font-medium">Burst</th>
                <th className="py-1 pr-3 text-right font-medium">Per day</th>
                <th className="py-1 pr-3 text-right font-medium">Tokens per day</th>
                <th className="py-1 pr-3 text-right font-medium">Longest message</th>
                <th className="py-1 text-right font-medium">Longest reply (tokens)</th>
              </tr>
            </thead>
            <tbody>
              {tiers.map(([tier, policy]) => (
                <tr key={tier} className="border-t border-border">
                  <td className="py-1.5 pr-3 capitalize">{tier}</td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">{count(policy.messagesPerMinute)}</td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">
                    {policy.burst.size}, +1 every {policy.burst.refillSeconds} s
                  </td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">{count(policy.messagesPerDay)}</td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">{count(policy.tokensPerDay)}</td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">{count(Math.min(policy.maxMessageLength, view.chat.maxMessageLength))}</td>
                  <td className="py-1.5 text-right tabular-nums">{count(policy.maxOutputTokens)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
        <div className="grid gap-3 lg:grid-cols-2">
          <Section title="Attachments (checked by content)">
            <Settings
              rows={[
                ...PLANS.map((plan): [string, string] => {
                  const policy = view.attachments.plans[plan];
                  return [
                    plan,
                    `${policy.kinds.join(" and ")} · up to ${count(policy.maxBytes / 1024 / 1024)} MB · ${policy.perMessage} per message · ${count(policy.uploadsPerDay)} a day`,
                  ];
                }),
                [
                  "Models that read them",
                  Object.entries(view.attachments.modelsReading)
                    .map(([model, kinds]) => `${model}: ${kinds.join("+") || "text only"}`)
                    .join(" · "),
                  "LLM_ATTACHMENTS_BY_MODEL",
                ],
              ]}
            />
          </Section>
          <Section title="Guests per network (all guest sessions from one IP)">
            <Settings
              rows={[
                ["Messages per minute", count(view.guestIp.messagesPerMinute)],
                ["Messages per day", count(view.guestIp.messagesPerDay)],
                ["Tokens per day", count(view.guestIp.tokensPerDay)],
              ]}
            />
          </Section>
          <Section title="Prices and budgets">
            <Settings
              rows={[
                ...view.costs.prices.map(({ model, price }): [string, string, string] => [
                  `${model} per million tokens`,
                  price ? `${formatUsd(price.inputMicrosPerMillion)} in, ${formatUsd(price.outputMicrosPerMillion)} out` : "no price: cost unknown, no budget applies",
                  "LLM_PRICES",
                ]),
                ...view.costs.budgets.map(({ plan, budget }): [string, string, string] => [
                  `${plan} budget`,
                  `${budget.dailyMicros === undefined ? "no limit" : formatUsd(budget.dailyMicros)} a day, ${budget.monthlyMicros === undefined ? "no limit" : formatUsd(budget.monthlyMicros)} a month`,
                  "BUDGETS_USD",
                ]),
              ]}
            />
          </Section>
          <Section title="Account requests (/api/auth)">
            <Settings
              rows={[
                ["Failed sign-ins per IP per minute", count(view.authAttempts.signInFailuresPerIpPerMinute)],
                ["Failed sign-ins per account and IP per 15 minutes", count(view.authAttempts.signInFailuresPerAccountAndIpPer15Minutes)],
                [
                  "Failed sign-ins per account per 15 minutes, then each waits",
                  `${count(view.authAttempts.signInFailuresPerAccountPer15Minutes)}, ${view.authAttempts.signInBackstopDelaySeconds} s`,
                ],
                ["Sign-ups per IP per minute", count(view.authAttempts.signUpPerIpPerMinute)],
                ["Mail requests per IP per minute", count(view.authAttempts.mailRequestsPerIpPerMinute)],
                ["Mails per recipient per hour", count(view.authAttempts.mailsPerRecipientPerHour)],
                ["Password resets per IP per minute", count(view.authAttempts.passwordResetsPerIpPerMinute)],
                ["Password/email changes and deletions per user per 15 minutes", count(view.authAttempts.accountChangesPerUserPer15Minutes)],
                ["Other account requests per IP per minute", count(view.authAttempts.otherRequestsPerIpPerMinute)],
                ["New guest sessions per IP per minute", count(view.authAttempts.guestSessionsPerIpPerMinute)],
              ]}
            />
          </Section>
        </div>
      </div>
    </>
  );
}
