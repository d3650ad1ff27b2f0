"use client";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useState } from "react";
import { errorMessage } from "@/lib/client/api";
import { nodeLabel, timeAgo } from "@/lib/client/format";
import { useRouter } from "next/navigation";
import { useCan, useCheckpoint, useDeleteThread, useGraph, useGraphs, useHistory, useThread, useThreadEvents } from "@/lib/client/hooks";
import type { Checkpoint, GraphDetail, Thread } from "@/lib/client/types";
import { Card } from "../ui/Card";
import { StatusBadge } from "../ui/StatusBadge";
import { CheckpointPanel } from "./CheckpointPanel";
import { ErrorPanel } from "./ErrorPanel";
import { GraphLegend, GraphView } from "./GraphView";
import { useResume } from "./actions";
import { InterruptPanel } from "./InterruptPanel";
import { StopRun } from "./StopRun";
import { StoragePanel } from "./StoragePanel";
import { ThreadLineage } from "./ThreadLineage";
import { Timeline } from "./Timeline";
import { TimelineTools } from "./TimelineTools";
import { useTimelineFind } from "./timeline-find";

/** A running job's progress: the channels the graph declares as done / total (GraphDetail.progress), else the last node. */
function Progress({ thread, head, graph }: { thread: Thread; head: Checkpoint | undefined; graph: GraphDetail | undefined }) {
  if (thread.status !== "running") return null;
  const v = head?.values ?? {};
  const p = graph?.progress;
  const total = p && typeof v[p.total] === "number" ? (v[p.total] as number) : null;
  const done = p && typeof v[p.done] === "number" ? (v[p.done] as number) : null;
  return (
    <div data-testid="run-progress" className="flex min-w-[200px] flex-1 items-center gap-2 text-xs text-sky-800">
      <span className="h-3 w-3 animate-spin rounded-full border-2 border-sky-600 border-t-transparent" aria-hidden />
      {total && done !== null ? (
        <>
          <div
            className="h-2 max-w-[240px] flex-1 overflow-hidden rounded-full bg-sky-100"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={total}
            aria-valuenow={done}
          >
            <div className="h-full bg-sky-500 transition-all" style={{ width: `${Math.min(100, (done / total) * 100)}%` }} />
          </div>
          <span data-testid="run-progress-text">
            {done}/{total} steps
          </span>
        </>
      ) : (
        <span>Running{head ? ` · last: ${nodeLabel(head)}` : ""}…</span>
      )}
    </div>
  );
}

/** A thread that stopped with work left (after an edit, a fork without run, a crash, a cancel): offer to go on. */
function IdleBanner({ thread, head }: { thread: Thread; head: Checkpoint }) {
  const resume = useResume(thread.threadId);
  return (
    <div
      data-testid="idle-banner"
      className="flex flex-wrap items-center gap-3 rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-900 ring-1 ring-sky-200"
    >
      <span>
        {thread.status === "cancelled" ? "Run cancelled" : "Stopped"} at v{head.version}; next: <strong>{head.next.join(", ")}</strong>.
      </span>
      <button
        data-testid="idle-resume"
        onClick={() => resume.mutate({})}
        disabled={resume.isPending}
        className="rounded-md bg-sky-700 px-3 py-1 text-xs font-medium text-white hover:bg-sky-800 disabled:bg-sky-300"
      >
        {resume.isPending ? "Starting…" : "Resume"}
      </button>
      {resume.error && <span className="text-rose-700">{errorMessage(resume.error)}</span>}
    </div>
  );
}

/** Deletes the thread after a confirmation; the API refuses (409) while a run holds it. */
function DeleteButton({ threadId }: { threadId: string }) {
  const del = useDeleteThread();
  const router = useRouter();
  return (
    <span className="ml-auto flex items-center gap-2">
      {del.error && <span className="text-xs text-rose-700">{errorMessage(del.error)}</span>}
      <button
        data-testid="delete-thread"
        disabled={del.isPending}
        onClick={() => {
          if (window.confirm("Delete this thread and all its checkpoints? This cannot be undone."))
            del.mutate(threadId, { onSuccess: () => router.push("/") });
        }}
        className="rounded-md px-2 py-1 text-xs text-slate-500 hover:bg-rose-50 hover:text-rose-700 disabled:opacity-50"
      >
        {del.isPending ? "Deleting…" : "Delete thread"}
      </button>
    </span>
  );
}

export function ThreadView({ threadId }: { threadId: string }) {
  const thread = useThread(threadId);
  useThreadEvents(threadId);
  const t = thread.data;
  const running = t?.status === "running";
  const history = useHistory(threadId, running, t?.checkpointCount);
  const graph = useGraph(t?.graphId);
  const graphs = useGraphs();
  const head = useCheckpoint(threadId, t?.headCheckpointId);
  // null = follow the head as new checkpoints arrive.
  const [picked, setPicked] = useState<string | null>(null);
  // The interrupt panel stays while its reviewer has unsent text or has not yet read why the thread moved on.
  const [holdPanel, setHoldPanel] = useState(false);

  useEffect(() => {
    const cp = new URLSearchParams(window.location.search).get("cp");
    // After hydration on purpose: the server render has no URL query to read.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    if (cp) setPicked(cp);
  }, []);
  const select = useCallback((id: string | null) => {
    setPicked(id);
    const url = new URL(window.location.href);
    if (id) url.searchParams.set("cp", id);
    else url.searchParams.delete("cp");
    window.history.replaceState(null, "", url);
  }, []);

  const all = useMemo(() => history.data ?? [], [history.data]);
  const selectedId = picked ?? t?.headCheckpointId ?? null;
  // The diff's other side, for the selected checkpoint only; `picking`: the next timeline click chooses it.
  const [compareWith, setCompareWith] = useState<{ cp: string | null; against: string } | null>(null);
  const [picking, setPicking] = useState(false);
  const compare = {
    against: compareWith && compareWith.cp === selectedId ? compareWith.against : undefined,
    onAgainst: (id: string | undefined) => setCompareWith(id ? { cp: selectedId, against: id } : null),
    picking,
    onPicking: setPicking,
  };
  const onTimelineClick = picking ? (id: string) => (setCompareWith({ cp: selectedId, against: id }), setPicking(false)) : select;
  const summary = all.find((c) => c.checkpointId === selectedId);
  const full = useCheckpoint(threadId, selectedId);
  // While the selected checkpoint loads (a run moving the head on), keep showing the last one rather than nothing.
  const selected = full.data?.checkpointId === selectedId ? full.data : (summary ?? full.data);
  const find = useTimelineFind(all, t, selectedId, select);
  const shown = useMemo(() => (find.match ? all.filter(find.match).length : all.length), [all, find.match]);
  const hint = graphs.data?.find((g) => g.graphId === t?.graphId)?.failureHint;
  const canRun = useCan("run", t?.graphId ?? null);
  const canDelete = useCan("delete", t?.graphId ?? null);

  if (thread.error)
    return (
      <div className="mx-auto max-w-lg p-8 text-center">
        <p className="text-sm text-rose-700" data-testid="thread-error">
          {errorMessage(thread.error)}
        </p>
        <Link href="/" className="mt-3 inline-block text-sm text-indigo-700 hover:underline">
          ← All threads
        </Link>
      </div>
    );
  if (!t) return <p className="p-6 text-sm text-slate-500">Loading thread…</p>;

  const current = selected ? selected.nodeName.split(",").filter((n) => !n.startsWith("__")) : [];
  return (
    <div className="flex flex-col gap-3" data-testid="thread-page" data-status={t.status}>
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
        <Link href="/" className="text-sm text-slate-500 hover:text-slate-900">
          ← Threads
        </Link>
        <h1 className="flex min-w-0 items-center gap-2 text-base font-semibold">
          <span className="truncate font-mono text-sm" title={t.threadId} data-testid="thread-id">
            {t.threadId}
          </span>
          <StatusBadge status={t.status} />
        </h1>
        {typeof t.metadata?.label === "string" && (
          <span className="max-w-[40ch] truncate text-sm text-slate-700" title={t.metadata.label} data-testid="thread-label">
            {t.metadata.label}
          </span>
        )}
        <span className="text-xs text-slate-500">
          graph <strong className="text-slate-700">{t.graphId}</strong> · {t.checkpointCount ?? all.length} checkpoint
          {(t.checkpointCount ?? all.length) === 1 ? "" : "s"} · updated {timeAgo(t.updatedAt)}
        </span>
        <Progress thread={t} head={head.data} graph={graph.data} />
        {running && canRun && <StopRun threadId={t.threadId} />}
        {t.status === "done" && head.data && (
          <span data-testid="done-banner" className="text-xs text-emerald-700">
            Finished at v{head.data.version}: pick any checkpoint to inspect, fork or replay it.
          </span>
        )}
        {canDelete && <DeleteButton threadId={t.threadId} />}
      </div>
      <ThreadLineage thread={t} />
      {t.readOnly && (
        <p className="rounded border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900" role="note" data-testid="read-only-note">
          {t.readOnly}
        </p>
      )}

      {(t.status === "idle" || t.status === "cancelled") && head.data && head.data.next.length > 0 && canRun && (
        <IdleBanner thread={t} head={head.data} />
      )}

      <div className="grid gap-3 lg:h-[calc(100vh-10rem)] lg:min-h-[600px] lg:grid-cols-[300px_minmax(0,1fr)] xl:grid-cols-[320px_minmax(0,1fr)_340px]">
        <Card
          title={
            <span>
              Timeline <span className="font-normal text-slate-400">({all.length})</span>
              {history.isFetching && t.checkpointCount !== undefined && all.length < t.checkpointCount && (
                <span className="ml-2 text-xs font-normal text-slate-400" data-testid="timeline-loading">
                  loading {t.checkpointCount - all.length} more…
                </span>
              )}
            </span>
          }
          actions={
            picking ? (
              <span data-testid="timeline-picking" className="text-xs font-medium text-indigo-800">
                Click the checkpoint to compare with
              </span>
            ) : (
              picked && (
                <button className="text-xs text-indigo-700 hover:underline" onClick={() => select(null)} data-testid="follow-head">
                  Go to head
                </button>
              )
            )
          }
          className="h-[360px] lg:h-auto lg:min-h-0"
        >
          <TimelineTools find={find} shown={shown} total={all.length} />
          {history.error ? (
            <p className="p-3 text-sm text-rose-700">{errorMessage(history.error)}</p>
          ) : (
            <div className="min-h-0 flex-1">
              <Timeline checkpoints={all} headId={t.headCheckpointId} selectedId={selectedId} onSelect={onTimelineClick} filter={find.match} />
            </div>
          )}
        </Card>
        <div className="order-first flex min-h-0 min-w-0 flex-col gap-3 lg:order-none">
          {!t.readOnly && (t.status === "interrupted" || holdPanel) && (
            // Held (a form open, a notice to read) it takes more of the column: the notice, the payload and what
            // the reviewer typed should all be in view without scrolling inside the panel.
            <div className={`${holdPanel ? "max-h-[85%]" : "max-h-[60%]"} shrink-0 overflow-auto`}>
              <InterruptPanel thread={t} head={head.data} graph={graph.data} onHold={setHoldPanel} />
            </div>
          )}
          {!t.readOnly && t.status === "error" && (
            <div className="max-h-[60%] shrink-0 overflow-auto">
              <ErrorPanel thread={t} head={head.data} graph={graph.data} hint={hint} />
            </div>
          )}
          <CheckpointPanel thread={t} cp={selected} all={all} graph={graph.data} onForked={() => select(null)} compare={compare} />
        </div>
        <div className="flex min-h-0 min-w-0 flex-col gap-3 lg:col-span-2 lg:flex-row xl:col-span-1 xl:flex-col">
          <Card title="Graph" className="h-[360px] overflow-hidden lg:flex-1 xl:h-auto xl:min-h-[340px]">
            <GraphLegend />
            <div className="min-h-0 flex-1">
              {graph.data ? (
                <GraphView
                  graph={graph.data}
                  current={current}
                  next={selected?.next ?? []}
                  interrupted={(selected?.interrupts ?? []).map((i) => i.node)}
                  failed={t.status === "error" && t.error?.node && selected?.checkpointId === t.headCheckpointId ? t.error.node.split(",") : []}
                />
              ) : (
                <p className="p-3 text-sm text-slate-500">{graph.error ? errorMessage(graph.error) : "Loading graph…"}</p>
              )}
            </div>
          </Card>
          <StoragePanel
            threadId={threadId}
            all={all}
            selectedId={selectedId}
            onSelect={select}
            className="min-h-0 lg:h-[360px] lg:w-[340px] lg:shrink-0 xl:h-auto xl:w-auto xl:shrink"
          />
        </div>
      </div>
    </div>
  );
}
