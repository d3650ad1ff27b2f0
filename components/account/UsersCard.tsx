"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { accountsApi, errorMessage } from "@/lib/client/api";
import { keys } from "@/lib/client/keys";
import type { RoleName, UserRecord } from "@/lib/client/types";
import { ActionMessage, Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { Field } from "./AuthCard";

const ROLES: RoleName[] = ["viewer", "reviewer", "operator", "admin"];
const select = "rounded-md border-0 px-2 py-1 text-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600";
const parseGraphs = (s: string) =>
  s.trim()
    ? s
        .split(",")
        .map((g) => g.trim())
        .filter(Boolean)
    : null;

/** Admins: add people with a role (and optionally a graph list), change roles, disable accounts. */
export function UsersCard() {
  const qc = useQueryClient();
  const users = useQuery({ queryKey: keys.users(), queryFn: accountsApi.users });
  const [form, setForm] = useState({ name: "", email: "", password: "", role: "reviewer" as RoleName, graphs: "" });
  const refresh = () => qc.invalidateQueries({ queryKey: keys.users() });
  const create = useMutation({
    mutationFn: () => accountsApi.createUser({ ...form, graphs: parseGraphs(form.graphs) }),
    onSuccess: () => {
      setForm({ name: "", email: "", password: "", role: "reviewer", graphs: "" });
      refresh();
    },
  });
  const update = useMutation({
    mutationFn: (a: { id: string; patch: Parameters<typeof accountsApi.updateUser>[1] }) => accountsApi.updateUser(a.id, a.patch),
    onSettled: refresh,
  });
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm({ ...form, [k]: e.target.value });
  return (
    <Card title="Users and roles" testId="users-card">
      <div className="flex flex-col gap-3 p-3 text-sm">
        <p className="text-slate-600">
          <strong>viewer</strong> reads · <strong>reviewer</strong> also decides at interrupts, edits and forks · <strong>operator</strong> also
          starts, resumes, retries and deletes · <strong>admin</strong> also manages users, tokens and reads the audit trail.
        </p>
        <form
          className="grid gap-2 sm:grid-cols-2 lg:grid-cols-[1fr_1fr_1fr_120px] lg:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <Field label="Name" required value={form.name} onChange={set("name")} data-testid="user-name" />
          <Field label="Email" type="email" required value={form.email} onChange={set("email")} data-testid="user-email" />
          <Field
            label="Initial password"
            type="password"
            minLength={8}
            required
            value={form.password}
            onChange={set("password")}
            autoComplete="new-password"
            data-testid="user-password"
          />
          <label className="flex flex-col gap-1 text-sm font-medium text-slate-700">
            Role
            <select value={form.role} onChange={set("role")} className={select} data-testid="user-role">
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <div className="sm:col-span-2 lg:col-span-3">
            <Field label="Graphs (comma-separated, empty = all)" value={form.graphs} onChange={set("graphs")} data-testid="user-graphs" />
          </div>
          <Button type="submit" variant="primary" pending={create.isPending} data-testid="user-create">
            Add user
          </Button>
        </form>
        <ActionMessage error={create.error ? errorMessage(create.error) : update.error ? errorMessage(update.error) : null} testId="users" />
        <div className="overflow-x-auto">
          <table className="w-full min-w-[560px] text-left text-xs" data-testid="user-list">
            <thead className="text-slate-500">
              <tr>
                <th className="py-1 font-medium">Name</th>
                <th className="font-medium">Email</th>
                <th className="font-medium">Role</th>
                <th className="font-medium">Graphs</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(users.data?.users ?? []).map((u: UserRecord) => (
                <tr
                  key={u.id}
                  className={`border-t border-slate-100 ${u.disabled ? "text-slate-400" : ""}`}
                  data-testid="user-row"
                  data-email={u.email}
                >
                  <td className="py-1.5 font-medium">
                    {u.name} {u.sso && <span className="rounded bg-slate-100 px-1 text-[10px] text-slate-600">SSO</span>}
                  </td>
                  <td>{u.email}</td>
                  <td>
                    <select
                      aria-label={`Role of ${u.email}`}
                      value={u.role}
                      className={select}
                      disabled={update.isPending}
                      onChange={(e) => update.mutate({ id: u.id, patch: { role: e.target.value as RoleName } })}
                      data-testid="user-row-role"
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td className="text-slate-600">{u.graphs ? u.graphs.join(", ") : "all"}</td>
                  <td className="text-right">
                    <button
                      className="rounded px-2 py-0.5 text-slate-700 hover:bg-slate-100"
                      onClick={() => update.mutate({ id: u.id, patch: { disabled: !u.disabled } })}
                      data-testid="user-toggle"
                    >
                      {u.disabled ? "Enable" : "Disable"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </Card>
  );
}
