"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { accountsApi, errorMessage } from "@/lib/client/api";
import { keys } from "@/lib/client/keys";
import { AUDIT_ACTIONS } from "@/lib/api/responses";
import type { AuditEntry } from "@/lib/client/types";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";

const control = "rounded-md border-0 px-2 py-1.5 text-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600";

/** What an entry says in a few words: the decision, the reason, the thread and checkpoints it touched. */
function Summary({ e }: { e: AuditEntry }) {
  const d = (e.detail ?? {}) as Record<string, unknown>;
  const resume = d.resume as { action?: string } | undefined;
  return (
    <div className="min-w-0 text-xs text-slate-700">
      {resume?.action && <span className="mr-1 rounded bg-emerald-50 px-1 font-medium text-emerald-800">{resume.action}</span>}
      {e.reason && <span className="mr-1">“{e.reason}”</span>}
      {e.threadId && (
        <Link href={`/threads/${encodeURIComponent(e.threadId)}`} className="font-mono text-indigo-700 hover:underline">
          {e.threadId.slice(0, 13)}…
        </Link>
      )}
      {e.checkpointBefore && <span className="ml-1 font-mono text-slate-500">from {e.checkpointBefore.slice(-8)}</span>}
      {e.checkpointAfter && <span className="ml-1 font-mono text-slate-500">→ {e.checkpointAfter.slice(-8)}</span>}
      {typeof d.email === "string" && !e.threadId && <span className="ml-1 text-slate-500">{d.email}</span>}
    </div>
  );
}

/** Admins: every human action, newest first, filtered by person, thread, action and time; exported as JSON lines. */
export function AuditView() {
  const [draft, setDraft] = useState({ actorId: "", threadId: "", action: "", from: "", to: "" });
  const [filters, setFilters] = useState(draft);
  const clean = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== "")) as Record<string, string>;
  if (clean.from) clean.from = new Date(clean.from).toISOString();
  if (clean.to) clean.to = new Date(clean.to).toISOString();
  const q = useInfiniteQuery({
    queryKey: keys.audit(clean),
    queryFn: ({ pageParam }) => accountsApi.audit({ ...clean, cursor: pageParam, limit: 50 }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const entries = q.data?.pages.flatMap((p) => p.entries) ?? [];
  const set = (k: keyof typeof draft) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setDraft({ ...draft, [k]: e.target.value });
  return (
    <div className="mx-auto flex max-w-6xl flex-col gap-3" data-testid="audit-page">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <h1 className="text-lg font-semibold">Audit trail</h1>
        <a href={accountsApi.auditExportUrl(clean)} className="text-sm font-medium text-indigo-700 hover:underline" data-testid="audit-export">
          Export as JSON lines
        </a>
      </div>
      <Card title="Filters">
        <form
          className="grid gap-2 p-3 sm:grid-cols-2 lg:grid-cols-[1fr_1fr_180px_170px_170px_auto] lg:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            setFilters(draft);
          }}
        >
          <label className="flex flex-col gap-1 text-xs font-medium text-slate-700">
            Person (actor id)
            <input className={control} value={draft.actorId} onChange={set("actorId")} placeholder="user:…" data-testid="audit-actor" />
          </label>
          <label className="flex flex-col gap-1 text-xs font-medium text-slate-700">
            Thread
            <input className={control} value={draft.threadId} onChange={set("threadId")} data-testid="audit-thread" />
          </label>
          <label className="flex flex-col gap-1 text-xs font-medium text-slate-700">
            Action
            <select className={control} value={draft.action} onChange={set("action")} data-testid="audit-action">
              <option value="">any</option>
              {AUDIT_ACTIONS.map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          </label>
          <label className="flex flex-col gap-1 text-xs font-medium text-slate-700">
            From
            <input type="datetime-local" className={control} value={draft.from} onChange={set("from")} />
          </label>
          <label className="flex flex-col gap-1 text-xs font-medium text-slate-700">
            To
            <input type="datetime-local" className={control} value={draft.to} onChange={set("to")} />
          </label>
          <Button type="submit" variant="primary" data-testid="audit-apply">
            Apply
          </Button>
        </form>
      </Card>
      <Card
        title={
          <span>
            Entries{" "}
            {q.data && (
              <span className="font-normal text-slate-500">
                ({entries.length}
                {q.hasNextPage ? "+" : ""})
              </span>
            )}
          </span>
        }
      >
        {q.error && <p className="p-3 text-sm text-rose-700">{errorMessage(q.error)}</p>}
        <div className="overflow-x-auto">
          <table className="w-full min-w-[760px] text-left text-sm" data-testid="audit-list">
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="px-3 py-2 font-medium">When</th>
                <th className="font-medium">Who</th>
                <th className="font-medium">Action</th>
                <th className="font-medium">What</th>
                <th className="px-3 font-medium">From</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} className="border-t border-slate-100 align-top" data-testid="audit-row" data-action={e.action}>
                  <td className="whitespace-nowrap px-3 py-1.5 font-mono text-xs text-slate-600" title={e.at}>
                    {new Date(e.at).toLocaleString()}
                  </td>
                  <td className="py-1.5">
                    <button
                      type="button"
                      className="text-left font-medium text-slate-800 hover:underline"
                      onClick={() => e.actorId && setDraft({ ...draft, actorId: e.actorId })}
                      title={e.actorId ?? ""}
                    >
                      {e.actorName}
                    </button>
                  </td>
                  <td className="py-1.5">
                    <span
                      className={`rounded px-1.5 py-0.5 text-xs font-medium ${e.outcome === "ok" ? "bg-slate-100 text-slate-800" : "bg-rose-100 text-rose-800"}`}
                    >
                      {e.action}
                    </span>
                  </td>
                  <td className="py-1.5">
                    <Summary e={e} />
                  </td>
                  <td className="px-3 py-1.5 text-xs text-slate-500" title={e.userAgent ?? ""}>
                    {e.ip ?? "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {entries.length === 0 && !q.isLoading && <p className="p-3 text-sm text-slate-500">No entries match.</p>}
        {q.hasNextPage && (
          <div className="p-3">
            <Button onClick={() => q.fetchNextPage()} pending={q.isFetchingNextPage} data-testid="audit-more">
              Load more
            </Button>
          </div>
        )}
      </Card>
    </div>
  );
}
