"use client";
import { useState } from "react";
import { errorMessage, schedulesApi } from "@/lib/client/api";
import { useGraphs, useScheduleMutation } from "@/lib/client/hooks";
import type { Schedule } from "@/lib/client/types";
import { parseObject, pretty } from "@/lib/client/state-edit";
import { ActionMessage, Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { JsonEditor } from "../ui/JsonEditor";

const control = "rounded-md border-0 px-2.5 py-1.5 text-sm font-normal ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600";

/** Common expressions, one click away; the field takes any five- or six-field expression. */
const PRESETS: [label: string, cron: string][] = [
  ["Every minute", "* * * * *"],
  ["Every hour", "0 * * * *"],
  ["Daily 09:00", "0 9 * * *"],
  ["Weekdays 09:00", "0 9 * * 1-5"],
  ["Mondays 08:00", "0 8 * * 1"],
];

/**
 * Graph, cron expression, time zone, thread and input (prefilled with the graph's example) → a new schedule.
 * With `editing`, the same fields filled from that schedule change it instead (its graph stays: a schedule of
 * another graph is a new schedule); `onDone` closes the editor once saved or cancelled. Remount per schedule
 * (a `key`): the fields are initialised from it once.
 */
export function ScheduleForm({ firedBy, editing, onDone }: { firedBy?: string; editing?: Schedule; onDone?: () => void }) {
  const graphs = useGraphs();
  const create = useScheduleMutation(schedulesApi.create);
  const update = useScheduleMutation((body: Parameters<typeof schedulesApi.update>[1]) => schedulesApi.update(editing!.scheduleId, body));
  const save = editing ? update : create;
  const [picked, setPicked] = useState(editing?.graphId ?? "");
  const [cron, setCronValue] = useState(editing?.cron ?? "0 9 * * *");
  const [timezone, setTimezoneValue] = useState(editing?.timezone ?? "UTC");
  const [threadId, setThreadIdValue] = useState(editing?.threadId ?? "");
  const [drafts, setDrafts] = useState<Record<string, string>>(editing ? { [editing.graphId]: pretty(editing.input) } : {});
  // The server's refusal stays until the refused field is changed: then it no longer describes what is shown.
  const edited =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      if (save.error) save.reset();
      set(v);
    };
  const setCron = edited(setCronValue);
  const setTimezone = edited(setTimezoneValue);
  const setThreadId = edited(setThreadIdValue);
  const list = graphs.data ?? [];
  const graph = list.find((g) => g.graphId === picked) ?? (editing ? undefined : list[0]);
  const graphId = editing?.graphId ?? graph?.graphId ?? "";
  const text = drafts[graphId] ?? (graph ? pretty(graph.exampleInput ?? {}) : "");
  const parsed = parseObject(text);
  const localZone = typeof Intl !== "undefined" ? Intl.DateTimeFormat().resolvedOptions().timeZone : "UTC";

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!parsed.ok || !graphId) return;
    if (editing) {
      const body = { cron: cron.trim(), timezone: timezone.trim() || "UTC", input: parsed.value, threadId: threadId.trim() || null };
      update.mutate(body, { onSuccess: () => onDone?.() });
      return;
    }
    create.mutate(
      {
        graphId,
        cron: cron.trim(),
        timezone: timezone.trim() || "UTC",
        input: parsed.value,
        ...(threadId.trim() ? { threadId: threadId.trim() } : {}),
      },
      { onSuccess: () => setDrafts((d) => ({ ...d, [graphId]: text })) },
    );
  };

  return (
    <Card
      title={editing ? `Edit schedule of ${graph?.title ?? editing.graphId}` : "New schedule"}
      testId={editing ? "schedule-edit-form" : "schedule-form"}
    >
      <form onSubmit={submit} className="grid gap-x-6 gap-y-3 p-3 text-sm md:grid-cols-2">
        <div className="flex min-w-0 flex-col gap-3">
          <label className="flex flex-col gap-1 font-medium text-slate-700">
            Graph
            <select
              className={`${control} disabled:bg-slate-50 disabled:text-slate-600`}
              value={graphId}
              onChange={(e) => setPicked(e.target.value)}
              disabled={!!editing}
              title={editing ? "A schedule keeps its graph: create a new schedule for another graph" : undefined}
              data-testid="schedule-graph"
            >
              {graphs.isPending && <option>Loading…</option>}
              {list.map((g) => (
                <option key={g.graphId} value={g.graphId}>
                  {g.title ? `${g.title} (${g.graphId})` : g.graphId}
                </option>
              ))}
            </select>
          </label>
          <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_180px]">
            <label className="flex flex-col gap-1 font-medium text-slate-700">
              Cron expression
              <input
                className={`${control} w-full min-w-0 font-mono`}
                value={cron}
                onChange={(e) => setCron(e.target.value)}
                required
                spellCheck={false}
                placeholder="minute hour day month weekday"
                aria-describedby="schedule-cron-help"
                data-testid="schedule-cron"
              />
            </label>
            <label className="flex flex-col gap-1 font-medium text-slate-700">
              Time zone
              <input
                className={control}
                value={timezone}
                onChange={(e) => setTimezone(e.target.value)}
                list="schedule-zones"
                data-testid="schedule-tz"
              />
              <datalist id="schedule-zones">
                {[...new Set(["UTC", localZone])].map((z) => (
                  <option key={z} value={z} />
                ))}
              </datalist>
            </label>
          </div>
          <div className="-mt-1 flex flex-wrap gap-1.5" role="group" aria-label="Common schedules">
            {PRESETS.map(([label, expr]) => (
              <button
                key={expr}
                type="button"
                onClick={() => setCron(expr)}
                aria-pressed={cron === expr}
                className={`rounded-full px-2 py-0.5 text-xs ring-1 ring-inset ${cron === expr ? "bg-indigo-50 text-indigo-800 ring-indigo-300" : "text-slate-700 ring-slate-300 hover:bg-slate-50"}`}
              >
                {label}
              </button>
            ))}
          </div>
          <p id="schedule-cron-help" className="-mt-1 text-xs text-slate-500">
            Five fields (minute hour day month weekday)
            {firedBy === "pg-boss" ? "; pg-boss fires at most once a minute." : ", or six with seconds first."}
          </p>
          <label className="flex flex-col gap-1 font-medium text-slate-700">
            Thread
            <input
              className={control}
              value={threadId}
              onChange={(e) => setThreadId(e.target.value)}
              placeholder="empty: a new thread for every run"
              data-testid="schedule-thread"
            />
          </label>
        </div>
        <div className="flex min-w-0 flex-col gap-1">
          <div className="flex items-center justify-between">
            <span className="font-medium text-slate-700">Input (JSON)</span>
            {graph && (
              <button
                type="button"
                className="text-xs text-indigo-600 hover:underline"
                onClick={() => setDrafts((d) => ({ ...d, [graphId]: pretty(graph.exampleInput ?? {}) }))}
              >
                Reset to example
              </button>
            )}
          </div>
          <JsonEditor
            value={text}
            onChange={(v) => setDrafts((d) => ({ ...d, [graphId]: v }))}
            testId="schedule-input"
            minHeight="236px"
            maxHeight="320px"
            label="Schedule input"
          />
          {!parsed.ok && <p className="text-xs text-rose-700">{parsed.error}</p>}
        </div>
        <div className="md:col-span-2">
          <ActionMessage error={save.error ? errorMessage(save.error) : null} testId={editing ? "schedule-edit" : "schedule-create"} />
        </div>
        <div className="flex justify-end gap-2 md:col-span-2">
          {editing && (
            <Button variant="ghost" onClick={onDone} data-testid="schedule-edit-cancel">
              Cancel
            </Button>
          )}
          <Button type="submit" variant="primary" pending={save.isPending} disabled={!parsed.ok || !graphId} data-testid="schedule-submit">
            {editing ? "Save changes" : "Create schedule"}
          </Button>
        </div>
      </form>
    </Card>
  );
}
