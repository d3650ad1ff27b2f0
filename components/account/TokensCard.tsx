"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { accountsApi, errorMessage } from "@/lib/client/api";
import { timeAgo } from "@/lib/client/format";
import { useMe } from "@/lib/client/hooks";
import { keys } from "@/lib/client/keys";
import type { RoleName } from "@/lib/client/types";
import { ActionMessage, Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { Field } from "./AuthCard";

const ROLES: RoleName[] = ["viewer", "reviewer", "operator", "admin"];
const input = "rounded-md border-0 px-2 py-1.5 text-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600";

/** API tokens: create one (shown once, with a copy button), see when each was last used, revoke. */
export function TokensCard() {
  const me = useMe().data;
  const qc = useQueryClient();
  const tokens = useQuery({ queryKey: keys.tokens(false), queryFn: () => accountsApi.tokens(false), enabled: !!me?.userId });
  const [name, setName] = useState("");
  const [role, setRole] = useState<RoleName>("viewer");
  const [graphs, setGraphs] = useState("");
  const [metricsOnly, setMetricsOnly] = useState(false);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      accountsApi.createToken({
        name,
        role,
        graphs: graphs.trim()
          ? graphs
              .split(",")
              .map((g) => g.trim())
              .filter(Boolean)
          : null,
        ...(metricsOnly ? { scope: "metrics" as const } : {}),
      }),
    onSuccess: (r) => {
      setCreated(r.token);
      setName("");
      qc.invalidateQueries({ queryKey: keys.tokens(false) });
    },
  });
  const revoke = useMutation({ mutationFn: accountsApi.revokeToken, onSettled: () => qc.invalidateQueries({ queryKey: keys.tokens(false) }) });
  if (!me) return null;
  const allowed = ROLES.slice(0, ROLES.indexOf(me.role) + 1);
  return (
    <Card title="API tokens" testId="tokens-card">
      <div className="flex flex-col gap-3 p-3 text-sm">
        <p className="text-slate-600">
          For scripts and services: send <code className="font-mono">Authorization: Bearer &lt;token&gt;</code>. A token never has more rights than
          you.
        </p>
        {!me.userId ? (
          <p className="text-slate-600">You are using the admin token from the environment; sign in as a user to create tokens.</p>
        ) : (
          <form
            className="grid gap-2 sm:grid-cols-[1fr_140px_1fr_auto_auto] sm:items-end"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate();
            }}
          >
            <Field label="Name" required value={name} onChange={(e) => setName(e.target.value)} placeholder="ci-deploy" data-testid="token-name" />
            <label className="flex flex-col gap-1 text-sm font-medium text-slate-700">
              Role
              <select value={role} onChange={(e) => setRole(e.target.value as RoleName)} className={input} data-testid="token-role">
                {allowed.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            </label>
            <Field
              label="Graphs (comma-separated, empty = all)"
              value={graphs}
              onChange={(e) => setGraphs(e.target.value)}
              data-testid="token-graphs"
            />
            <label
              className="flex items-center gap-1.5 pb-1.5 text-sm text-slate-700"
              title="Reads GET /api/metrics and nothing else (for a Prometheus scraper)"
            >
              <input type="checkbox" checked={metricsOnly} onChange={(e) => setMetricsOnly(e.target.checked)} data-testid="token-metrics-only" />
              Metrics only
            </label>
            <Button type="submit" variant="primary" pending={create.isPending} data-testid="token-create">
              Create token
            </Button>
          </form>
        )}
        <ActionMessage error={create.error ? errorMessage(create.error) : null} testId="token" />
        {created && (
          <div role="status" className="rounded-md bg-emerald-50 p-2.5 ring-1 ring-emerald-200" data-testid="token-created">
            <p className="font-medium text-emerald-900">Copy this token now: it is not shown again.</p>
            <div className="mt-1.5 flex items-center gap-2">
              <code
                className="min-w-0 flex-1 break-all rounded bg-white px-2 py-1 font-mono text-xs text-slate-900 ring-1 ring-emerald-200"
                data-testid="token-secret"
              >
                {created}
              </code>
              <Button onClick={() => navigator.clipboard?.writeText(created)}>Copy</Button>
            </div>
          </div>
        )}
        <table className="w-full text-left text-xs" data-testid="token-list">
          <thead className="text-slate-500">
            <tr>
              <th className="py-1 font-medium">Name</th>
              <th className="font-medium">Token</th>
              <th className="font-medium">Role</th>
              <th className="font-medium">Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(tokens.data?.tokens ?? []).map((t) => (
              <tr key={t.id} className="border-t border-slate-100" data-testid="token-row" data-revoked={t.revokedAt ? "" : undefined}>
                <td className="py-1.5 font-medium text-slate-800">{t.name}</td>
                <td className="font-mono text-slate-600">{t.prefix}…</td>
                <td>
                  {t.role}
                  {t.graphs ? ` · ${t.graphs.join(", ")}` : ""}
                  {t.scope === "metrics" ? " · metrics only" : ""}
                </td>
                <td className="text-slate-600">{t.revokedAt ? "revoked" : t.lastUsedAt ? timeAgo(t.lastUsedAt) : "never"}</td>
                <td className="text-right">
                  {!t.revokedAt && (
                    <button
                      className="rounded px-2 py-0.5 text-rose-700 hover:bg-rose-50"
                      onClick={() => revoke.mutate(t.id)}
                      data-testid="token-revoke"
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
