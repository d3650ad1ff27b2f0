"use client";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef } from "react";
import { clock, formatDuration, nodeLabel, SOURCE_LABEL } from "@/lib/client/format";
import { buildTree, type TreeRow } from "@/lib/client/tree";
import type { Checkpoint } from "@/lib/client/types";
import { BranchIcon, PauseIcon } from "../ui/icons";

const ROW = 34;
const INDENT = 14;

const SOURCE_CLS: Record<string, string> = {
  input: "bg-slate-100 text-slate-700",
  loop: "bg-indigo-50 text-indigo-700",
  update: "bg-violet-100 text-violet-800",
  fork: "bg-teal-100 text-teal-800",
};

/** Step durations across the thread: bars are scaled to the longest; "slow" is 4× the median or more (and ≥ 50 ms). */
interface DurationScale {
  max: number;
  slowFrom: number;
}

function durationScale(checkpoints: Checkpoint[]): DurationScale {
  const ds = checkpoints.flatMap((c) => (typeof c.metadata?.durationMs === "number" ? [c.metadata.durationMs] : [])).sort((a, b) => a - b);
  const median = ds.length ? ds[Math.floor(ds.length / 2)] : 0;
  return { max: ds.length ? ds[ds.length - 1] : 0, slowFrom: Math.max(50, median * 4) };
}

/** How long the step took: a bar scaled to the thread's slowest step, with the figure shown when it is slow. */
function Duration({ ms, scale }: { ms: number; scale: DurationScale }) {
  const slow = ms >= scale.slowFrom;
  const pct = scale.max > 0 ? Math.max(4, Math.round((ms / scale.max) * 100)) : 4;
  return (
    <span
      data-testid="timeline-duration"
      data-ms={ms}
      data-slow={slow || undefined}
      title={`Step took ${formatDuration(ms)}`}
      className="flex shrink-0 items-center gap-1"
    >
      {slow && <span className="font-mono text-[10px] font-semibold text-amber-800">{formatDuration(ms)}</span>}
      <span className="block h-1.5 w-8 overflow-hidden rounded-full bg-slate-200" aria-hidden>
        <span className={`block h-full rounded-full ${slow ? "bg-amber-500" : "bg-slate-400"}`} style={{ width: `${pct}%` }} />
      </span>
    </span>
  );
}

function Row({
  row,
  selected,
  head,
  decided,
  scale,
  onSelect,
}: {
  row: TreeRow;
  selected: boolean;
  head: boolean;
  decided: boolean;
  scale: DurationScale;
  onSelect: () => void;
}) {
  const { cp } = row;
  const failed = cp.metadata?.failedAttempts?.length ?? 0;
  const src = cp.metadata?.source ?? "loop";
  const pending = cp.interrupts?.length > 0;
  return (
    <div
      id={`tl-${cp.checkpointId}`}
      role="treeitem"
      aria-selected={selected}
      aria-level={row.depth + 1}
      data-testid="timeline-row"
      data-checkpoint-id={cp.checkpointId}
      data-version={cp.version}
      data-node={cp.nodeName}
      data-source={src}
      data-depth={row.depth}
      data-head={head || undefined}
      data-selected={selected || undefined}
      onClick={onSelect}
      className={`flex h-full cursor-pointer items-center gap-1.5 border-l-2 pr-2 text-xs ${
        selected
          ? "border-indigo-600 bg-indigo-50"
          : head
            ? "border-emerald-500 bg-emerald-50/50 hover:bg-slate-50"
            : "border-transparent hover:bg-slate-50"
      }`}
      style={{ paddingLeft: 6 + row.depth * INDENT }}
    >
      {row.depth > 0 && (
        <span className="text-slate-400" aria-hidden>
          {row.branchStart ? <BranchIcon /> : <span className="inline-block h-3 w-px bg-slate-300" />}
        </span>
      )}
      <span className="min-w-10 shrink-0 font-mono text-slate-500">v{cp.version}</span>
      <span className="min-w-0 flex-1 truncate font-medium text-slate-800" title={cp.nodeName}>
        {nodeLabel(cp)}
        {(src === "update" || src === "fork") && cp.metadata.actor && (
          <span data-testid="timeline-actor" className="ml-1 font-normal text-violet-700">
            by {cp.metadata.actor}
          </span>
        )}
        {decided && cp.metadata.actor && (
          <span
            data-testid="timeline-decision"
            className="ml-1 font-normal text-emerald-800"
            title={cp.metadata.reason ? `Decided by ${cp.metadata.actor}: ${cp.metadata.reason}` : `Decided by ${cp.metadata.actor}`}
          >
            decided by {cp.metadata.actor}
            {cp.metadata.reason ? <span className="text-slate-600">: “{cp.metadata.reason}”</span> : null}
          </span>
        )}
      </span>
      {failed > 0 && (
        <span
          data-testid="timeline-failed"
          data-count={failed}
          title={`${failed} failed ${failed === 1 ? "try" : "tries"} before this step went through (details in Metadata)`}
          className="shrink-0 rounded bg-rose-100 px-1 text-[10px] font-semibold text-rose-800"
        >
          ✕{failed}
        </span>
      )}
      {typeof cp.metadata?.durationMs === "number" && <Duration ms={cp.metadata.durationMs} scale={scale} />}
      {pending && (
        <span
          data-testid="timeline-interrupt"
          title={head ? "An interrupt is pending here" : "An interrupt was pending here (answered on a later checkpoint)"}
          className={`flex h-4 w-4 items-center justify-center rounded ${head ? "bg-amber-400 text-amber-950" : "text-amber-600 ring-1 ring-amber-300"}`}
        >
          <PauseIcon size={10} />
        </span>
      )}
      <span className={`shrink-0 rounded px-1.5 py-0.5 text-[10px] font-medium ${SOURCE_CLS[src] ?? SOURCE_CLS.loop}`}>
        {SOURCE_LABEL[src] ?? src}
      </span>
      {head && <span className="shrink-0 rounded bg-emerald-700 px-1.5 py-0.5 text-[10px] font-semibold text-white">HEAD</span>}
      <span className="hidden w-14 shrink-0 text-right font-mono text-[10px] text-slate-400 sm:inline" title={cp.createdAt}>
        {clock(cp.createdAt)}
      </span>
    </div>
  );
}

/**
 * Every checkpoint as a branching tree (see lib/client/tree.ts), virtualized so 10,000 rows stay smooth.
 * Keyboard: ↑/↓ move, Home/End jump, ← goes to the parent, → to the first child.
 */
export function Timeline({
  checkpoints,
  headId,
  selectedId,
  onSelect,
  filter,
}: {
  checkpoints: Checkpoint[];
  headId: string | null;
  selectedId: string | null;
  onSelect: (id: string) => void;
  /** Shows only the checkpoints it accepts, in tree order (see timeline-find.ts). */
  filter?: (cp: Checkpoint) => boolean;
}) {
  const tree = useMemo(() => buildTree(checkpoints), [checkpoints]);
  const rows = useMemo(() => (filter ? tree.filter((r) => filter(r.cp)) : tree), [tree, filter]);
  // Checkpoints that answered an interrupt: the first one after a checkpoint that had a pending interrupt. Its
  // actor is the person who decided (recorded by the server from their sign-in), its reason their comment.
  const decided = useMemo(() => {
    const paused = new Set(checkpoints.filter((c) => c.interrupts?.length > 0).map((c) => c.checkpointId));
    return new Set(checkpoints.filter((c) => c.parentId && paused.has(c.parentId) && c.metadata?.source === "loop").map((c) => c.checkpointId));
  }, [checkpoints]);
  const index = useMemo(() => new Map(rows.map((r, i) => [r.cp.checkpointId, i])), [rows]);
  const scale = useMemo(() => durationScale(checkpoints), [checkpoints]);
  const parentRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual; the app does not use the React Compiler
  const v = useVirtualizer({ count: rows.length, getScrollElement: () => parentRef.current, estimateSize: () => ROW, overscan: 12 });
  const selIndex = selectedId ? (index.get(selectedId) ?? -1) : -1;

  useEffect(() => {
    if (selIndex >= 0) v.scrollToIndex(selIndex, { align: "auto" });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [selIndex]);

  const move = (to: number) => {
    if (!rows.length) return;
    const i = Math.max(0, Math.min(rows.length - 1, to));
    onSelect(rows[i].cp.checkpointId);
  };
  const onKey = (e: React.KeyboardEvent) => {
    const cur = selIndex < 0 ? 0 : selIndex;
    const cp = rows[cur]?.cp;
    switch (e.key) {
      case "ArrowDown":
      case "j":
        move(selIndex < 0 ? 0 : cur + 1);
        break;
      case "ArrowUp":
      case "k":
        move(cur - 1);
        break;
      case "Home":
        move(0);
        break;
      case "End":
        move(rows.length - 1);
        break;
      case "PageDown":
        move(cur + 10);
        break;
      case "PageUp":
        move(cur - 10);
        break;
      case "ArrowLeft":
        if (cp?.parentId && index.has(cp.parentId)) onSelect(cp.parentId);
        break;
      case "ArrowRight": {
        const child = rows.find((r) => r.cp.parentId === cp?.checkpointId);
        if (child) onSelect(child.cp.checkpointId);
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  };

  return (
    <div
      ref={parentRef}
      role="tree"
      aria-label="Checkpoint timeline"
      tabIndex={0}
      onKeyDown={onKey}
      aria-activedescendant={selectedId ? `tl-${selectedId}` : undefined}
      data-testid="timeline"
      data-count={rows.length}
      className="h-full min-h-0 overflow-auto focus-visible:outline-offset-[-2px]"
    >
      <div style={{ height: v.getTotalSize(), position: "relative" }}>
        {v.getVirtualItems().map((item) => {
          const row = rows[item.index];
          return (
            <div
              key={row.cp.checkpointId}
              style={{ position: "absolute", top: 0, left: 0, right: 0, height: item.size, transform: `translateY(${item.start}px)` }}
            >
              <Row
                row={row}
                selected={row.cp.checkpointId === selectedId}
                head={row.cp.checkpointId === headId}
                decided={decided.has(row.cp.checkpointId)}
                scale={scale}
                onSelect={() => onSelect(row.cp.checkpointId)}
              />
            </div>
          );
        })}
      </div>
      {rows.length === 0 && (
        <p className="p-4 text-sm text-slate-500" data-testid="timeline-empty">
          {filter && tree.length ? "No checkpoints match these filters." : "No checkpoints yet."}
        </p>
      )}
    </div>
  );
}
