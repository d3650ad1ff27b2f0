"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { errorMessage, schedulesApi } from "@/lib/client/api";
import { timeAgo } from "@/lib/client/format";
import { useCan, useGraphs, useMe, useScheduleMutation, useSchedules } from "@/lib/client/hooks";
import type { Schedule } from "@/lib/client/types";
import { ActionMessage, Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { ScheduleForm } from "./ScheduleForm";

/** "in 42s", "in 5m", "in 3h", else the date: how far off the next fire is. */
function timeUntil(iso: string, now: number): string {
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  if (s < 1) return "now";
  if (s < 60) return `in ${s}s`;
  if (s < 3600) return `in ${Math.round(s / 60)}m`;
  if (s < 86400) return `in ${Math.floor(s / 3600)}h ${Math.round((s % 3600) / 60)}m`;
  return `in ${Math.round(s / 86400)}d`;
}

const when = (iso: string) => new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" });

const FIRED_BY: Record<Schedule["firedBy"], string> = {
  "in-process": "the server's own timer",
  "pg-boss": "pg-boss (PostgreSQL), once across workers",
  bullmq: "BullMQ (Redis), once across workers",
};

/** The Schedules page: every schedule with its next and last run, and (operators) a form and the row actions. */
export function SchedulesView() {
  const schedules = useSchedules();
  const graphs = useGraphs();
  const me = useMe().data;
  const canRun = useCan("run");
  // Re-render every second so "in 12s" counts down between refreshes.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const list = schedules.data?.schedules ?? [];
  // The schedule being edited (its id: the form shows the row's latest data); gone once deleted elsewhere.
  const [editingId, setEditingId] = useState<string | null>(null);
  const editing = list.find((s) => s.scheduleId === editingId);
  const titles = new Map((graphs.data ?? []).map((g) => [g.graphId, g.title]));
  const firedBy = list[0]?.firedBy;
  return (
    <div className="mx-auto flex max-w-6xl flex-col gap-4" data-testid="schedules-page">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <h1 className="text-lg font-semibold">Schedules</h1>
          <p className="text-sm text-slate-600">Graph runs started on a cron expression, each as if someone had started it by hand.</p>
        </div>
        {firedBy && <p className="text-xs text-slate-500">Fired by {FIRED_BY[firedBy]}</p>}
      </div>
      <Card title={`Schedules${schedules.data ? ` (${list.length})` : ""}`} testId="schedule-list-card">
        {schedules.error && <p className="p-3 text-sm text-rose-700">{errorMessage(schedules.error)}</p>}
        {schedules.isPending && <p className="p-6 text-center text-sm text-slate-500">Loading…</p>}
        {schedules.data && list.length === 0 && (
          <p className="p-6 text-center text-sm text-slate-500" data-testid="schedules-empty">
            No schedules yet.{canRun ? " Create one below." : ""}
          </p>
        )}
        {list.length > 0 && (
          <div className="overflow-x-auto">
            <table className="w-full min-w-[860px] text-left text-sm" data-testid="schedule-list">
              <thead className="text-xs text-slate-500">
                <tr>
                  <th className="px-3 py-2 font-medium">Graph</th>
                  <th className="font-medium">When</th>
                  <th className="font-medium">Next run</th>
                  <th className="font-medium">Last run</th>
                  <th className="font-medium">Status</th>
                  {canRun && (
                    // relative: the sr-only label is positioned inside the scrolling table, not past the page's edge.
                    <th className="relative px-3 text-right font-medium">
                      <span className="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {list.map((s) => (
                  <Row
                    key={s.scheduleId}
                    s={s}
                    title={titles.get(s.graphId)}
                    now={now}
                    canRun={canRun}
                    editing={s.scheduleId === editingId}
                    onEdit={() => setEditingId(s.scheduleId)}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {canRun && editing && <ScheduleForm key={editing.scheduleId} firedBy={firedBy} editing={editing} onDone={() => setEditingId(null)} />}
      {canRun
        ? !editing && <ScheduleForm firedBy={firedBy} />
        : me && <p className="text-sm text-slate-600">Creating and changing schedules needs the operator role; you are signed in as a {me.role}.</p>}
    </div>
  );
}

function Row({
  s,
  title,
  now,
  canRun,
  editing,
  onEdit,
}: {
  s: Schedule;
  title?: string;
  now: number;
  canRun: boolean;
  editing: boolean;
  onEdit: () => void;
}) {
  const update = useScheduleMutation((paused: boolean) => schedulesApi.update(s.scheduleId, { paused }));
  const remove = useScheduleMutation(() => schedulesApi.remove(s.scheduleId));
  const runNow = useScheduleMutation(() => schedulesApi.runNow(s.scheduleId));
  const [confirming, setConfirming] = useState(false);
  const error = update.error ?? remove.error ?? runNow.error;
  return (
    <>
      <tr
        className={`border-t border-slate-100 align-top ${editing ? "bg-indigo-50/60" : ""}`}
        data-testid="schedule-row"
        data-schedule={s.scheduleId}
        data-paused={s.paused ? "" : undefined}
      >
        <td className="px-3 py-2">
          <div className="font-medium text-slate-800">{title ?? s.graphId}</div>
          <div className="font-mono text-xs text-slate-500">{s.graphId}</div>
        </td>
        <td className="py-2">
          <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-800" data-testid="schedule-cron-text">
            {s.cron}
          </code>
          <div className="mt-0.5 text-xs text-slate-500">
            {s.timezone}
            {s.threadId ? (
              <>
                {" · on "}
                <Link href={`/threads/${encodeURIComponent(s.threadId)}`} className="font-mono text-indigo-700 hover:underline">
                  {s.threadId.length > 16 ? `${s.threadId.slice(0, 13)}…` : s.threadId}
                </Link>
              </>
            ) : (
              " · new thread each run"
            )}
          </div>
        </td>
        <td className="py-2 text-xs" data-testid="schedule-next">
          {s.nextRunAt ? (
            <>
              <div className="font-medium text-slate-800">{timeUntil(s.nextRunAt, now)}</div>
              <div className="text-slate-500">{when(s.nextRunAt)}</div>
            </>
          ) : (
            <span className="text-slate-400">—</span>
          )}
        </td>
        <td className="py-2 text-xs" data-testid="schedule-last">
          {s.lastRunAt ? (
            <>
              <div className="text-slate-700" title={when(s.lastRunAt)}>
                {timeAgo(s.lastRunAt, now)}
              </div>
              {s.lastError ? (
                <div className="max-w-[220px] text-rose-700" title={s.lastError}>
                  No run: {s.lastError.length > 60 ? `${s.lastError.slice(0, 60)}…` : s.lastError}
                </div>
              ) : (
                s.lastThreadId && (
                  <Link
                    href={`/threads/${encodeURIComponent(s.lastThreadId)}`}
                    className="font-mono text-indigo-700 hover:underline"
                    data-testid="schedule-last-thread"
                  >
                    {s.lastThreadId.slice(0, 13)}…
                  </Link>
                )
              )}
            </>
          ) : (
            <span className="text-slate-400">never</span>
          )}
        </td>
        <td className="py-2">
          <span
            data-testid="schedule-status"
            className={`inline-flex items-center gap-1.5 whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${s.paused ? "bg-zinc-100 text-zinc-800 ring-zinc-300" : "bg-emerald-50 text-emerald-800 ring-emerald-300"}`}
          >
            <span className={`h-1.5 w-1.5 rounded-full ${s.paused ? "bg-zinc-400" : "bg-emerald-500"}`} aria-hidden />
            {s.paused ? "paused" : "active"}
          </span>
        </td>
        {canRun && (
          <td className="px-3 py-1.5">
            <div className="flex justify-end gap-1.5 whitespace-nowrap">
              {confirming ? (
                <>
                  <Button variant="danger" pending={remove.isPending} onClick={() => remove.mutate(undefined)} data-testid="schedule-delete-confirm">
                    Delete
                  </Button>
                  <Button variant="ghost" onClick={() => setConfirming(false)}>
                    Keep
                  </Button>
                </>
              ) : (
                <>
                  <Button
                    pending={runNow.isPending}
                    onClick={() => runNow.mutate(undefined)}
                    title="Start a run now, as a tick would"
                    data-testid="schedule-run-now"
                  >
                    Run now
                  </Button>
                  <Button pending={update.isPending} onClick={() => update.mutate(!s.paused)} data-testid="schedule-toggle">
                    {s.paused ? "Resume" : "Pause"}
                  </Button>
                  <Button variant="ghost" onClick={onEdit} disabled={editing} aria-pressed={editing} data-testid="schedule-edit">
                    Edit
                  </Button>
                  <Button
                    variant="ghost"
                    className="text-rose-700 hover:bg-rose-50"
                    onClick={() => setConfirming(true)}
                    data-testid="schedule-delete"
                  >
                    Delete
                  </Button>
                </>
              )}
            </div>
          </td>
        )}
      </tr>
      {error && (
        <tr>
          <td colSpan={canRun ? 6 : 5} className="px-3 pb-2">
            <ActionMessage error={errorMessage(error)} testId="schedule-row" />
          </td>
        </tr>
      )}
    </>
  );
}
