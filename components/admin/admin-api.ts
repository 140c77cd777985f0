/**
 * The admin pages' calls to the admin API. Failures become the same ApiProblem the chat shows
 * (components/chat/chat-api.ts), request id included, so support can find the log line.
 */
import { request } from "@/components/chat/chat-api";
import type { AuditPage } from "@/lib/admin/audit-log";
import type { ChatView, UserChats } from "@/lib/admin/chats";
import type { FeedbackSummary } from "@/lib/admin/feedback";
import type { Overview } from "@/lib/admin/overview";
import type { UserRole } from "@/lib/admin/schemas";
import type { Plan } from "@/lib/domain";
import type { AdminUser, UserPage } from "@/lib/admin/users";
import type { UserUsage } from "@/lib/admin/usage";
import type { TopSpenders } from "@/lib/admin/top-spenders";

async function call<T>(url: string, init?: RequestInit & { json?: unknown }): Promise<T> {
  const { json, ...rest } = init ?? {};
  const response = await request(url, {
    cache: "no-store",
    ...rest,
    ...(json !== undefined && { body: JSON.stringify(json), headers: { "Content-Type": "application/json" } }),
  });
  return (await response.json()) as T;
}

export function fetchOverview(signal?: AbortSignal): Promise<Overview> {
  return call("/api/admin/overview", { signal });
}

export function fetchUsers(params: { q: string; page: number; guests: boolean }, signal?: AbortSignal): Promise<UserPage> {
  const search = new URLSearchParams({ page: String(params.page), guests: params.guests ? "1" : "0" });
  if (params.q.trim()) search.set("q", params.q.trim());
  return call(`/api/admin/users?${search}`, { signal });
}

export function fetchUser(userId: string): Promise<{ user: AdminUser; usage: UserUsage }> {
  return call(`/api/admin/users/${encodeURIComponent(userId)}`);
}

export function updateUser(
  userId: string,
  change: { tier?: Plan; role?: UserRole; dailyBudgetUsd?: number | null; monthlyBudgetUsd?: number | null },
): Promise<{ user: AdminUser }> {
  return call(`/api/admin/users/${encodeURIComponent(userId)}`, { method: "PATCH", json: change });
}

export function banUser(userId: string, reason: string): Promise<{ user: AdminUser }> {
  return call(`/api/admin/users/${encodeURIComponent(userId)}/ban`, { method: "POST", json: reason ? { reason } : {} });
}

export function unbanUser(userId: string): Promise<{ user: AdminUser }> {
  return call(`/api/admin/users/${encodeURIComponent(userId)}/ban`, { method: "DELETE" });
}

export function lookupChat(chatId: string): Promise<ChatView> {
  return call(`/api/admin/chats?${new URLSearchParams({ chatId })}`);
}

export function lookupUserChats(user: string): Promise<UserChats> {
  return call(`/api/admin/chats?${new URLSearchParams({ user })}`);
}

export function fetchAudit(cursor?: string): Promise<AuditPage> {
  return call(`/api/admin/audit?${new URLSearchParams({ limit: "25", ...(cursor && { cursor }) })}`);
}

export function fetchTopSpenders(signal?: AbortSignal): Promise<TopSpenders> {
  return call("/api/admin/spend", { signal });
}

export function fetchFeedbackSummary(signal?: AbortSignal): Promise<FeedbackSummary> {
  return call("/api/admin/feedback", { signal });
}
