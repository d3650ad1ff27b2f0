"use client";
import { useCan } from "@/lib/client/hooks";
import JsonView from "@uiw/react-json-view";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { errorMessage } from "@/lib/client/api";
import { formatDuration, nodeLabel } from "@/lib/client/format";
import type { Checkpoint, GraphDetail, Thread } from "@/lib/client/types";
import { ActionMessage, Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { ForkIcon, PlayIcon } from "../ui/icons";
import { useForkAndRun, useResume } from "./actions";
import { CheckpointMeta, ForkedFromLink } from "./CheckpointMeta";
import { DiffView, type CompareControl } from "./DiffView";
import { StateEditForm } from "./StateEditForm";

type Tab = "state" | "diff" | "meta";

/** Opens two levels of the state tree, or only the top level when the state is big (long lists). */
function depthFor(values: Record<string, unknown>): number {
  return JSON.stringify(values).length > 20_000 ? 1 : 2;
}

/** The interrupt a checkpoint waits at for a decision (a dynamic one on a node it runs next), if any. */
function waitingAt(cp: Pick<Checkpoint, "interrupts" | "next">) {
  return cp.interrupts.find((i) => i.kind === "dynamic" && cp.next.includes(i.node));
}

/**
 * Where "Re-run <node>" runs from: the nearest ancestor that runs `node` without waiting for a decision (the
 * checkpoint before the interrupt; edits and forks that copied the interrupt are skipped). Null when it is not
 * in the timeline (a fork into a new thread starts at the interrupt): then no re-run is offered.
 */
function rerunBase(cp: Checkpoint, all: Checkpoint[], node: string): Checkpoint | null {
  const byId = new Map(all.map((c) => [c.checkpointId, c]));
  for (let c = cp.parentId ? byId.get(cp.parentId) : undefined; c; c = c.parentId ? byId.get(c.parentId) : undefined)
    if (!waitingAt(c)) return c.next.includes(node) ? c : null;
  return null;
}

/** The selected checkpoint: state tree, diff, metadata, and Fork from here / Resume (or Re-run at an interrupt). */
export function CheckpointPanel({
  thread,
  cp,
  all,
  graph,
  onForked,
  compare,
}: {
  thread: Thread;
  cp: Checkpoint | undefined;
  all: Checkpoint[];
  graph: GraphDetail | undefined;
  onForked: (fork: Checkpoint) => void;
  compare: CompareControl;
}) {
  const [tab, setTab] = useState<Tab>("state");
  const [forking, setForking] = useState(false);
  const [newThread, setNewThread] = useState(false);
  const canRun = useCan("run", thread.graphId);
  const canFork = useCan("fork", thread.graphId);
  const [runNow, setRunNow] = useState(true);
  const waiting = cp ? waitingAt(cp) : undefined;
  // A fork of a checkpoint waiting for a decision waits there too: the reviewer decides on the fork, so it never runs on its own.
  const runAfterFork = runNow && canRun && !waiting;
  const router = useRouter();
  const fork = useForkAndRun(thread.threadId, graph);
  const resume = useResume(thread.threadId);
  const running = thread.status === "running";

  if (!cp)
    return (
      <Card title="Checkpoint" className="min-h-[200px]">
        <p className="p-3 text-sm text-slate-500">Select a checkpoint in the timeline.</p>
      </Card>
    );
  const isHead = cp.checkpointId === thread.headCheckpointId;
  const canResume = cp.next.length > 0 && !running;
  const rerunFrom = waiting ? rerunBase(cp, all, waiting.node) : null;

  const tabs: [Tab, string][] = [
    ["state", "State"],
    ["diff", "Diff"],
    ["meta", "Metadata"],
  ];
  return (
    <Card
      testId="checkpoint-panel"
      className="min-h-[320px] flex-1"
      title={
        <span className="flex items-center gap-2" data-testid="checkpoint-title" data-version={cp.version}>
          <span className="font-mono text-slate-500">v{cp.version}</span>
          <span>{nodeLabel(cp)}</span>
          {cp.next.length > 0 && <span className="text-xs font-normal text-slate-500">→ next: {cp.next.join(", ")}</span>}
          {typeof cp.metadata.durationMs === "number" && (
            <span data-testid="checkpoint-duration" className="text-xs font-normal text-slate-600" title="How long the step took">
              · {formatDuration(cp.metadata.durationMs)}
            </span>
          )}
          {cp.metadata.forkedFrom && (
            <span className="text-xs font-normal">
              · <ForkedFromLink from={cp.metadata.forkedFrom} testId="checkpoint-forked-from" />
            </span>
          )}
        </span>
      }
      actions={
        <>
          {canRun && waiting && rerunFrom && (
            <Button
              onClick={() => resume.mutate({ checkpointId: rerunFrom.checkpointId }, { onSuccess: () => onForked(cp) })}
              disabled={running}
              pending={resume.isPending}
              title={`Run ${waiting.node} again from v${rerunFrom.version}, as a new branch: it asks for a fresh decision`}
              data-testid="rerun"
            >
              <PlayIcon /> Re-run {waiting.node}
            </Button>
          )}
          {canRun && !waiting && (
            <Button
              onClick={() => resume.mutate(isHead ? {} : { checkpointId: cp.checkpointId })}
              disabled={!canResume}
              pending={resume.isPending}
              title={
                cp.next.length ? (isHead ? "Continue the run from here" : "Replay from here as a new branch") : "Nothing runs after this checkpoint"
              }
              data-testid="resume"
            >
              <PlayIcon /> Resume
            </Button>
          )}
          {canFork && (
            <Button variant="primary" onClick={() => setForking((f) => !f)} disabled={running} data-testid="fork-open">
              <ForkIcon /> Fork from here
            </Button>
          )}
        </>
      }
    >
      {(resume.error || resume.isSuccess) && (
        <div className="px-3 pt-2">
          <ActionMessage
            error={resume.error ? errorMessage(resume.error) : null}
            success={resume.isSuccess ? "Run started." : null}
            testId="resume"
          />
        </div>
      )}
      <div className="min-h-0 flex-1 overflow-auto">
        {forking && cp.values && (
          <div className="border-b border-slate-100 bg-teal-50/40 p-3" data-testid="fork-panel">
            <p className="mb-2 text-xs text-slate-600">
              Fork v{cp.version}: edit the state if you like (only changed channels are applied){waiting ? "" : ", then run the new branch"}. The
              original branch stays as it is.
            </p>
            {waiting && (
              <p className="mb-2 text-xs text-amber-900" data-testid="fork-at-interrupt">
                v{cp.version} waits for a decision at <strong>{waiting.node}</strong>: the fork waits there too, and you decide on its review panel.
              </p>
            )}
            <StateEditForm
              key={cp.checkpointId}
              testId="fork"
              initial={cp.values}
              submitLabel={runAfterFork ? "Fork & run" : "Fork"}
              pending={fork.isPending}
              error={fork.error}
              onCancel={() => setForking(false)}
              extra={
                <div className="flex flex-wrap gap-4 text-xs text-slate-700">
                  <label className="flex items-center gap-1.5">
                    <input type="checkbox" data-testid="fork-new-thread" checked={newThread} onChange={(e) => setNewThread(e.target.checked)} />
                    Into a new thread
                  </label>
                  {!waiting && (
                    <label className="flex items-center gap-1.5">
                      <input
                        type="checkbox"
                        data-testid="fork-run"
                        checked={runAfterFork}
                        disabled={!canRun}
                        onChange={(e) => setRunNow(e.target.checked)}
                      />
                      Run it right away
                    </label>
                  )}
                </div>
              }
              onSubmit={(after, who) =>
                fork.mutate(
                  { checkpointId: cp.checkpointId, before: cp.values ?? {}, after, newThread, run: runAfterFork, ...who },
                  {
                    onSuccess: (f) => {
                      setForking(false);
                      if (f.threadId !== thread.threadId) router.push(`/threads/${encodeURIComponent(f.threadId)}`);
                      else onForked(f);
                    },
                  },
                )
              }
            />
          </div>
        )}
        <div role="tablist" className="sticky top-0 z-10 flex gap-1 border-b border-slate-100 bg-white px-2 pt-1">
          {tabs.map(([t, label]) => (
            <button
              key={t}
              role="tab"
              aria-selected={tab === t}
              data-testid={`tab-${t}`}
              onClick={() => setTab(t)}
              className={`-mb-px border-b-2 px-3 py-1.5 text-xs font-medium ${tab === t ? "border-indigo-600 text-indigo-700" : "border-transparent text-slate-500 hover:text-slate-800"}`}
            >
              {label}
            </button>
          ))}
        </div>
        {tab === "state" && (
          <div data-testid="state-view" className="p-3 text-xs">
            {cp.values ? (
              <JsonView value={cp.values} displayDataTypes={false} collapsed={depthFor(cp.values)} shortenTextAfterLength={120} />
            ) : (
              <p className="text-slate-500">Loading state…</p>
            )}
          </div>
        )}
        {tab === "diff" && <DiffView threadId={thread.threadId} cp={cp} all={all} compare={compare} />}
        {tab === "meta" && <CheckpointMeta cp={cp} />}
      </div>
    </Card>
  );
}
