"use client";

import { useCallback, useEffect, useId, useState } from "react";
import { problemFromError, type ApiProblem } from "@/components/chat/chat-api";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { SearchIcon } from "@/components/ui/icons";
import { useDebouncedValue } from "@/components/ui/use-debounced-value";
import { USER_ROLES, type UserRole } from "@/lib/admin/schemas";
import { PLANS, type Plan } from "@/lib/domain";
import type { AdminUser, UserPage } from "@/lib/admin/users";
import type { UserUsage } from "@/lib/admin/usage";
import { TIER_POLICIES } from "@/lib/limits/policies";
import { formatUsd } from "@/lib/costs/reply-cost";
import { BudgetForm } from "./budget-form";
import { banUser, fetchUser, fetchUsers, unbanUser, updateUser } from "./admin-api";
import { ProblemNotice } from "./problem-notice";

const count = (value: number) => value.toLocaleString("en-US");

function Badge({ children, tone = "muted" }: { children: string; tone?: "muted" | "danger" | "strong" }) {
  const tones = {
    muted: "border-border text-muted-foreground",
    danger: "border-danger/40 bg-danger-muted text-danger",
    strong: "border-foreground/30 text-foreground",
  };
  return <span className={`rounded-full border px-2 py-0.5 text-xs ${tones[tone]}`}>{children}</span>;
}

/** Search, a page of users, and the chosen user's usage and controls. */
export function UsersPanel({ adminUserId }: { adminUserId: string }) {
  const searchId = useId();
  const [query, setQuery] = useState("");
  const [includeGuests, setIncludeGuests] = useState(false);
  const [page, setPage] = useState(1);
  const debouncedQuery = useDebouncedValue(query, 250);
  const [result, setResult] = useState<UserPage>();
  const [isLoading, setIsLoading] = useState(true);
  const [problem, setProblem] = useState<ApiProblem>();
  const [selectedId, setSelectedId] = useState<string>();
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setIsLoading(true);
    fetchUsers({ q: debouncedQuery, page, guests: includeGuests }, controller.signal)
      .then((next) => {
        setResult(next);
        setProblem(undefined);
      })
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setProblem(problemFromError(error));
      })
      .finally(() => {
        if (!controller.signal.aborted) setIsLoading(false);
      });
    return () => controller.abort();
  }, [debouncedQuery, page, includeGuests, reloads]);

  const pages = result ? Math.max(1, Math.ceil(result.total / result.pageSize)) : 1;
  const onChanged = useCallback((user: AdminUser) => {
    setResult((current) => current && { ...current, users: current.users.map((row) => (row.id === user.id ? user : row)) });
  }, []);

  return (
    <div className="grid items-start gap-4 lg:grid-cols-[minmax(0,1fr)_24rem]">
      <section aria-label="Users" className="flex min-w-0 flex-col gap-3">
        <div className="flex flex-wrap items-center gap-3">
          <search className="relative min-w-56 flex-1">
            <label htmlFor={searchId} className="sr-only">
              Search users by email, name or id
            </label>
            <SearchIcon className="pointer-events-none absolute top-1/2 left-2.5 -translate-y-1/2 text-muted-foreground" />
            <input
              id={searchId}
              type="search"
              data-testid="admin-user-search"
              value={query}
              onChange={(event) => {
                setQuery(event.target.value);
                setPage(1);
              }}
              placeholder="Search by email, name or id"
              autoComplete="off"
              className="h-9 w-full rounded-md border border-input bg-background pr-2 pl-8 text-sm"
            />
          </search>
          <label className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              data-testid="admin-include-guests"
              checked={includeGuests}
              onChange={(event) => {
                setIncludeGuests(event.target.checked);
                setPage(1);
              }}
            />
            Include guests
          </label>
        </div>

        {problem && <ProblemNotice problem={problem} />}

        <div className="overflow-x-auto rounded-lg border border-border">
          <table className="w-full text-sm" aria-busy={isLoading}>
            <thead className="bg-muted/50 text-left text-xs text-muted-foreground">
              <tr>
                <th className="px-3 py-2 font-medium">User</th>
                <th className="px-3 py-2 font-medium">Plan</th>
                {/* Below 640 px, role and date are in the user's detail: the table fits a phone, Manage on screen. */}
                <th className="hidden px-3 py-2 font-medium sm:table-cell">Role</th>
                <th className="hidden px-3 py-2 font-medium sm:table-cell">Joined</th>
                <th className="px-3 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody data-testid="admin-user-list">
              {result?.users.map((user) => (
                <tr
                  key={user.id}
                  data-testid="admin-user-row"
                  data-user-id={user.id}
                  className={`border-t border-border ${user.id === selectedId ? "bg-muted/60" : ""}`}
                >
                  <td className="max-w-40 px-3 py-2 sm:max-w-72">
                    <p className="truncate font-medium" title={user.email}>
                      {user.isGuest ? "Guest session" : user.email}
                    </p>
                    <p className="truncate text-xs text-muted-foreground">{user.isGuest ? user.id : user.name}</p>
                  </td>
                  <td className="px-3 py-2">
                    <span className="capitalize" data-testid="admin-user-tier">
                      {user.tier}
                    </span>
                  </td>
                  <td className="hidden px-3 py-2 sm:table-cell">
                    <div className="flex flex-wrap gap-1">
                      {user.role === "admin" ? <Badge tone="strong">admin</Badge> : <span className="text-muted-foreground">user</span>}
                      {user.banned && <Badge tone="danger">banned</Badge>}
                    </div>
                  </td>
                  <td className="hidden px-3 py-2 whitespace-nowrap text-muted-foreground sm:table-cell">{new Date(user.createdAt).toLocaleDateString()}</td>
                  <td className="px-3 py-2 text-right">
                    <Button size="sm" data-testid="admin-user-manage" onClick={() => setSelectedId(user.id)} aria-pressed={user.id === selectedId}>
                      Manage
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {result && result.users.length === 0 && (
            <p className="px-3 py-6 text-center text-sm text-muted-foreground">No users match this search.</p>
          )}
          {!result && isLoading && <p className="px-3 py-6 text-center text-sm text-muted-foreground">Loading users…</p>}
        </div>

        <div className="flex items-center justify-between gap-2 text-sm text-muted-foreground">
          <span>
            {result ? `${count(result.total)} user${result.total === 1 ? "" : "s"} · page ${page} of ${pages}` : ""}
          </span>
          <div className="flex gap-2">
            <Button size="sm" onClick={() => setPage((current) => current - 1)} disabled={page <= 1 || isLoading}>
              Previous
            </Button>
            <Button size="sm" onClick={() => setPage((current) => current + 1)} disabled={page >= pages || isLoading}>
              Next
            </Button>
          </div>
        </div>
      </section>

      {selectedId ? (
        <UserDetail
          key={selectedId}
          userId={selectedId}
          isSelf={selectedId === adminUserId}
          onChanged={onChanged}
          onReload={() => setReloads((n) => n + 1)}
        />
      ) : (
        <p className="rounded-lg border border-dashed border-border p-6 text-center text-sm text-muted-foreground">
          Choose a user to see their usage and change their plan, role or access.
        </p>
      )}
    </div>
  );
}

function UserDetail({
  userId,
  isSelf,
  onChanged,
  onReload,
}: {
  userId: string;
  isSelf: boolean;
  onChanged: (user: AdminUser) => void;
  onReload: () => void;
}) {
  const tierId = useId();
  const roleId = useId();
  const reasonId = useId();
  const [detail, setDetail] = useState<{ user: AdminUser; usage: UserUsage }>();
  const [problem, setProblem] = useState<ApiProblem>();
  const [tier, setTier] = useState<Plan>("free");
  const [role, setRole] = useState<UserRole>("user");
  const [reason, setReason] = useState("");
  const [isConfirmingBan, setIsConfirmingBan] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState("");

  const load = useCallback(async () => {
    try {
      const next = await fetchUser(userId);
      setDetail(next);
      setTier(next.user.tier);
      setRole(next.user.role);
      setProblem(undefined);
    } catch (error) {
      setProblem(problemFromError(error));
    }
  }, [userId]);

  useEffect(() => {
    void load();
  }, [load]);

  async function act(action: () => Promise<{ user: AdminUser }>, done: string) {
    setBusy(true);
    setNotice("");
    try {
      const { user } = await action();
      setDetail((current) => current && { ...current, user });
      setTier(user.tier);
      setRole(user.role);
      onChanged(user);
      setNotice(done);
      setProblem(undefined);
    } catch (error) {
      setProblem(problemFromError(error));
    } finally {
      setBusy(false);
      setIsConfirmingBan(false);
    }
  }

  if (!detail) {
    return (
      <section aria-label="User details" className="rounded-lg border border-border bg-card p-4 text-sm">
        {problem ? <ProblemNotice problem={problem} /> : <p className="text-muted-foreground">Loading…</p>}
      </section>
    );
  }

  const { user, usage } = detail;
  const policy = TIER_POLICIES[tier];
  return (
    <section aria-labelledby={`${tierId}-title`} data-testid="admin-user-detail" className="flex flex-col gap-4 rounded-lg border border-border bg-card p-4 text-sm">
      <header>
        <h2 id={`${tierId}-title`} className="truncate text-base font-semibold" title={user.email}>
          {user.isGuest ? "Guest session" : user.email}
        </h2>
        <p className="truncate text-muted-foreground">{user.isGuest ? "No account yet" : user.name}</p>
        <p className="mt-1 font-mono text-xs break-all text-muted-foreground">{user.id}</p>
        <div className="mt-2 flex flex-wrap gap-1">
          {user.isGuest && <Badge>guest</Badge>}
          {!user.isGuest && !user.emailVerified && <Badge>unverified</Badge>}
          {user.role === "admin" && <Badge tone="strong">admin</Badge>}
          {user.banned && <Badge tone="danger">banned</Badge>}
        </div>
        {user.banned && user.banReason && <p className="mt-2 text-muted-foreground">Reason: {user.banReason}</p>}
      </header>

      <div>
        <div className="flex items-baseline justify-between">
          <h3 className="font-medium">Usage</h3>
          <Button size="sm" variant="ghost" onClick={() => void load()}>
            Refresh
          </Button>
        </div>
        <table className="mt-1 w-full" data-testid="admin-user-usage">
          <thead className="text-left text-xs text-muted-foreground">
            <tr>
              <th className="py-1 font-medium" />
              <th className="py-1 text-right font-medium">Messages</th>
              <th className="py-1 text-right font-medium">Tokens</th>
              <th className="py-1 text-right font-medium">Spent</th>
            </tr>
          </thead>
          <tbody>
            <tr className="border-t border-border">
              <td className="py-1.5">Today (UTC)</td>
              <td className="py-1.5 text-right tabular-nums" data-testid="admin-usage-messages-today">{count(usage.today.messages)}</td>
              <td className="py-1.5 text-right tabular-nums">{count(usage.today.tokens)}</td>
              <td className="py-1.5 text-right tabular-nums" data-testid="admin-usage-spend-today">{formatUsd(usage.today.spendMicros)}</td>
            </tr>
            <tr className="border-t border-border">
              <td className="py-1.5">This month</td>
              <td className="py-1.5 text-right tabular-nums">{count(usage.month.messages)}</td>
              <td className="py-1.5 text-right tabular-nums">{count(usage.month.tokens)}</td>
              <td className="py-1.5 text-right tabular-nums">{formatUsd(usage.month.spendMicros)}</td>
            </tr>
          </tbody>
        </table>
        <p className="mt-1 text-xs text-muted-foreground">
          Sent messages, reply tokens and what the replies cost, from saved history plus {count(usage.unflushedMessages)} message
          {usage.unflushedMessages === 1 ? "" : "s"} not saved to Postgres yet.
        </p>
      </div>

      <BudgetForm
        key={`${user.dailyBudgetUsd} ${user.monthlyBudgetUsd}`}
        user={user}
        busy={busy}
        onSave={(change) => void act(() => updateUser(user.id, change), "Budget saved.")}
      />

      <form
        className="flex flex-col gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          void act(() => updateUser(user.id, { tier }), `Plan changed to ${tier}.`);
        }}
      >
        <label htmlFor={tierId} className="font-medium">
          Plan
        </label>
        <div className="flex gap-2">
          <select
            id={tierId}
            data-testid="admin-tier-select"
            value={tier}
            onChange={(event) => setTier(event.target.value as Plan)}
            className="h-9 flex-1 rounded-md border border-input bg-background px-2"
          >
            {PLANS.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
          <Button type="submit" size="sm" className="h-9" data-testid="admin-tier-save" disabled={busy || tier === user.tier}>
            Save plan
          </Button>
        </div>
        <p className="text-xs text-muted-foreground">
          {policy.burst.size} messages at once, {policy.messagesPerMinute}/min, {count(policy.messagesPerDay)}/day,{" "}
          {count(policy.tokensPerDay)} tokens/day{user.role === "admin" && " (admins get the admin policy whatever their plan)"}
        </p>
      </form>

      <form
        className="flex flex-col gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          void act(() => updateUser(user.id, { role }), `Role changed to ${role}.`);
        }}
      >
        <label htmlFor={roleId} className="font-medium">
          Role
        </label>
        <div className="flex gap-2">
          <select
            id={roleId}
            data-testid="admin-role-select"
            value={role}
            disabled={isSelf}
            onChange={(event) => setRole(event.target.value as UserRole)}
            className="h-9 flex-1 rounded-md border border-input bg-background px-2"
          >
            {USER_ROLES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
          <Button type="submit" size="sm" className="h-9" data-testid="admin-role-save" disabled={busy || isSelf || role === user.role}>
            Save role
          </Button>
        </div>
        {isSelf && <p className="text-xs text-muted-foreground">Your own role can only be changed by another admin.</p>}
      </form>

      <div className="flex flex-col gap-2 border-t border-border pt-4">
        <h3 className="font-medium">Access</h3>
        {user.banned ? (
          <Button data-testid="admin-unban" disabled={busy} onClick={() => void act(() => unbanUser(user.id), "Ban lifted.")}>
            Lift the ban
          </Button>
        ) : (
          <>
            <label htmlFor={reasonId} className="text-xs text-muted-foreground">
              Reason (kept in the audit log)
            </label>
            <input
              id={reasonId}
              data-testid="admin-ban-reason"
              value={reason}
              maxLength={500}
              onChange={(event) => setReason(event.target.value)}
              className="h-9 rounded-md border border-input bg-background px-2"
            />
            <Button
              variant="danger"
              data-testid="admin-ban"
              disabled={busy || isSelf || user.role === "admin"}
              onClick={() => setIsConfirmingBan(true)}
            >
              Ban this user
            </Button>
            {user.role === "admin" && <p className="text-xs text-muted-foreground">Admins can&rsquo;t be banned: make them a user first.</p>}
          </>
        )}
      </div>

      {problem && <ProblemNotice problem={problem} />}
      <p role="status" data-testid="admin-user-notice" className="text-sm text-muted-foreground">
        {notice}
      </p>
      <Button size="sm" variant="ghost" onClick={onReload}>
        Reload the list
      </Button>

      <ConfirmDialog
        open={isConfirmingBan}
        title="Ban this user?"
        confirmLabel="Ban"
        confirmTestId="admin-confirm-ban"
        busy={busy}
        onConfirm={() => void act(() => banUser(user.id, reason.trim()), "User banned.")}
        onCancel={() => setIsConfirmingBan(false)}
      >
        <p>
          {user.isGuest ? "This guest session" : user.email} will be refused on every request from now on, until the ban is lifted.
        </p>
      </ConfirmDialog>
    </section>
  );
}
