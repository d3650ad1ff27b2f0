"use client";
import { useMemo, useState } from "react";
import { errorMessage } from "@/lib/client/api";
import { formatBytes, nodeLabel } from "@/lib/client/format";
import { useThreadStorage } from "@/lib/client/hooks";
import type { Checkpoint, ThreadStorage } from "@/lib/client/types";
import { Card } from "../ui/Card";

const FEW = 5;

const exact = (n: number) => `${n.toLocaleString("en-US")} bytes`;

/** Snapshots (stored whole) against deltas (stored as changes), as one bar with its legend. */
function FormBar({ s }: { s: ThreadStorage }) {
  const pct = s.checkpoints ? (s.snapshots / s.checkpoints) * 100 : 0;
  return (
    <div className="flex shrink-0 flex-col gap-1">
      <div
        className="flex h-2 overflow-hidden rounded-full bg-slate-100"
        role="img"
        aria-label={`${s.snapshots} snapshots, ${s.deltas} deltas`}
        data-testid="storage-bar"
      >
        <div className="h-full bg-indigo-500" style={{ width: `${pct}%` }} />
        <div className="h-full bg-sky-300" style={{ width: `${100 - pct}%` }} />
      </div>
      <div className="flex justify-between text-[11px] text-slate-600">
        <span title="Checkpoints stored whole">
          <span className="mr-1 inline-block h-2 w-2 rounded-sm bg-indigo-500" aria-hidden />
          <strong data-testid="storage-snapshots">{s.snapshots}</strong> snapshot{s.snapshots === 1 ? "" : "s"}
        </span>
        <span title="Checkpoints stored as the changes against an earlier one">
          <span className="mr-1 inline-block h-2 w-2 rounded-sm bg-sky-300" aria-hidden />
          <strong data-testid="storage-deltas">{s.deltas}</strong> delta{s.deltas === 1 ? "" : "s"}
        </span>
      </div>
    </div>
  );
}

type Largest = ThreadStorage["largest"][number];

function LargestRow({ r, max, node, selected, onSelect }: { r: Largest; max: number; node?: string; selected: boolean; onSelect: () => void }) {
  return (
    <li>
      <button
        type="button"
        onClick={onSelect}
        data-testid="storage-largest-row"
        data-checkpoint-id={r.checkpointId}
        data-bytes={r.bytes}
        aria-current={selected || undefined}
        title={`v${r.version}${r.step >= 0 ? `, step ${r.step}` : ""}: ${exact(r.bytes)}, stored ${r.snapshot ? "whole (snapshot)" : "as a delta"}`}
        className={`grid w-full grid-cols-[2.75rem_minmax(0,1fr)_4.5rem_3.75rem] items-center gap-2 rounded px-1.5 py-1 text-left text-xs ${
          selected ? "bg-indigo-50 ring-1 ring-indigo-200" : "hover:bg-slate-50"
        }`}
      >
        <span className="font-mono text-slate-500">v{r.version}</span>
        <span className="flex min-w-0 flex-col gap-0.5">
          <span className="truncate text-slate-800">
            {node ?? "checkpoint"}
            {r.step >= 0 && <span className="text-slate-400"> · step {r.step}</span>}
          </span>
          <span className="h-1 overflow-hidden rounded-full bg-slate-100" aria-hidden>
            <span
              className={`block h-full ${r.snapshot ? "bg-indigo-400" : "bg-sky-300"}`}
              style={{ width: `${max ? (r.bytes / max) * 100 : 0}%` }}
            />
          </span>
        </span>
        <span className="text-right font-mono text-slate-700">{formatBytes(r.bytes)}</span>
        <span
          className={`justify-self-end rounded px-1.5 py-0.5 text-[10px] font-medium ${
            r.snapshot ? "bg-indigo-100 text-indigo-800" : "bg-sky-100 text-sky-800"
          }`}
        >
          {r.snapshot ? "snapshot" : "delta"}
        </span>
      </button>
    </li>
  );
}

function Report({
  s,
  all,
  selectedId,
  onSelect,
}: {
  s: ThreadStorage;
  all: Checkpoint[];
  selectedId: string | null;
  onSelect: (id: string) => void;
}) {
  const [more, setMore] = useState(false);
  const byId = useMemo(() => new Map(all.map((c) => [c.checkpointId, c])), [all]);
  if (s.checkpoints === 0) return <p className="p-3 text-sm text-slate-500">Nothing stored yet: the thread has no checkpoints.</p>;
  const rows = more ? s.largest : s.largest.slice(0, FEW);
  const max = s.largest[0]?.bytes ?? 0;
  return (
    <div className="flex min-h-0 flex-1 flex-col gap-3 p-3">
      <div className="flex shrink-0 items-baseline justify-between gap-3">
        <span className="text-xl font-semibold text-slate-900" data-testid="storage-total" title={exact(s.bytes)}>
          {formatBytes(s.bytes)}
        </span>
        <span className="text-right text-xs text-slate-500">
          <span data-testid="storage-checkpoints">{s.checkpoints}</span> checkpoint{s.checkpoints === 1 ? "" : "s"} · avg{" "}
          <span className="font-mono text-slate-700" data-testid="storage-average">
            {formatBytes(s.bytes / s.checkpoints)}
          </span>
        </span>
      </div>
      <FormBar s={s} />
      <div className="flex min-h-0 flex-col">
        <div className="mb-1 flex shrink-0 items-baseline justify-between gap-2">
          <h3 className="text-[11px] font-semibold uppercase tracking-wide text-slate-500">Largest checkpoints</h3>
          {s.largest.length > FEW && (
            <button type="button" className="text-xs text-indigo-700 hover:underline" onClick={() => setMore(!more)} data-testid="storage-more">
              {more ? "Show fewer" : `Show ${s.largest.length - FEW} more`}
            </button>
          )}
        </div>
        <ol className="-mx-1 flex min-h-0 flex-col overflow-auto px-1 py-px" data-testid="storage-largest">
          {rows.map((r) => (
            <LargestRow
              key={r.checkpointId}
              r={r}
              max={max}
              node={byId.has(r.checkpointId) ? nodeLabel(byId.get(r.checkpointId)!) : undefined}
              selected={r.checkpointId === selectedId}
              onSelect={() => onSelect(r.checkpointId)}
            />
          ))}
        </ol>
      </div>
    </div>
  );
}

/**
 * What the thread occupies in the store: total, snapshots against deltas, the largest checkpoints (a click
 * selects one in the timeline). Sizes are the stored text's bytes, as docs/storage.md describes per backend.
 */
export function StoragePanel({
  threadId,
  all,
  selectedId,
  onSelect,
  className = "",
}: {
  threadId: string;
  all: Checkpoint[];
  selectedId: string | null;
  onSelect: (id: string) => void;
  className?: string;
}) {
  const storage = useThreadStorage(threadId);
  const s = storage.data;
  return (
    <Card
      testId="storage-panel"
      className={className}
      title={<span title="Snapshots hold a checkpoint's whole state; deltas only what changed since an earlier checkpoint.">Storage</span>}
      actions={
        s && (
          <span
            className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-[10px] text-slate-600"
            title="Checkpoint store"
            data-testid="storage-backend"
          >
            {s.backend}
          </span>
        )
      }
    >
      {s ? (
        <Report s={s} all={all} selectedId={selectedId} onSelect={onSelect} />
      ) : (
        <p className={`p-3 text-sm ${storage.error ? "text-rose-700" : "text-slate-500"}`}>
          {storage.error ? errorMessage(storage.error) : "Measuring…"}
        </p>
      )}
    </Card>
  );
}
