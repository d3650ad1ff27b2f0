"use client";
import { useEffect, useMemo, useState } from "react";
import { errorMessage } from "@/lib/client/api";
import { pathText } from "@/lib/client/format";
import { useDiff } from "@/lib/client/hooks";
import type { Checkpoint } from "@/lib/client/types";
import { DiffEntryRow } from "./DiffEntryRow";

/** Entries rendered at first; the rest on demand (a diff of thousands of paths must not render thousands of rows). */
const ROWS_PAGE = 200;

const BASIS: Record<string, string> = {
  interrupt: "the previous time this node waited",
  parent: "the parent",
  chosen: "picked",
  empty: "",
};

/** How the other side of the diff is picked: by the parent (ThreadView), from the timeline or by version. */
export interface CompareControl {
  /** The checkpoint compared with, or undefined for the server's default (previous interrupt of the node, else parent). */
  against?: string;
  onAgainst: (id: string | undefined) => void;
  /** True while the next timeline click picks the other checkpoint. */
  picking: boolean;
  onPicking: (on: boolean) => void;
}

/**
 * What changed at the selected checkpoint: at an interrupt, since the same node last waited (what changed since
 * the last draft?), else since its parent; or since any checkpoint picked in the timeline or by version.
 * Strings word by word, long appends as "+N items" (listed on demand), filterable by path.
 */
export function DiffView({ threadId, cp, all, compare }: { threadId: string; cp: Checkpoint; all: Checkpoint[]; compare: CompareControl }) {
  const { against, onAgainst, picking, onPicking } = compare;
  const [versionText, setVersionText] = useState("");
  const [filter, setFilter] = useState("");
  const [rows, setRows] = useState(ROWS_PAGE);
  const diff = useDiff(threadId, cp.checkpointId, against);
  const d = diff.data;

  const byVersion = (text: string) => {
    const n = Number(text);
    return text.trim() && Number.isInteger(n) ? all.find((c) => c.version === n) : undefined;
  };
  const pick = (text: string) => {
    setVersionText(text);
    onAgainst(byVersion(text)?.checkpointId);
  };
  // A version typed before the timeline had loaded it: pick it once it arrives.
  useEffect(() => {
    const found = versionText ? byVersion(versionText) : undefined;
    if (found && found.checkpointId !== against) onAgainst(found.checkpointId);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when more of the timeline arrives
  }, [all]);
  const entries = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return (d?.entries ?? []).filter((e) => !f || pathText(e.path).toLowerCase().includes(f));
  }, [d, filter]);

  return (
    <div data-testid="diff-view" className="flex flex-col gap-2 p-3">
      <div className="flex flex-wrap items-center gap-2 text-xs text-slate-700">
        <span data-testid="diff-heading" data-basis={d?.basis}>
          Changes from <strong data-testid="diff-base">{d ? (d.againstVersion !== null ? `v${d.againstVersion}` : "empty state") : "…"}</strong>
          {d && BASIS[d.basis] && <span className="text-slate-600"> ({BASIS[d.basis]})</span>} to <strong>v{cp.version}</strong>
        </span>
        <button
          data-testid="diff-pick"
          aria-pressed={picking}
          onClick={() => (onPicking(!picking), setVersionText(""))}
          className={`rounded px-2 py-0.5 ring-1 ring-inset ${picking ? "bg-indigo-600 text-white ring-indigo-600" : "text-indigo-800 ring-indigo-300 hover:bg-indigo-50"}`}
        >
          {picking ? "Click a checkpoint in the timeline…" : "Compare with…"}
        </button>
        {against && (
          <button data-testid="diff-reset" onClick={() => (onAgainst(undefined), setVersionText(""))} className="text-indigo-700 hover:underline">
            Default comparison
          </button>
        )}
        <label className="ml-auto flex items-center gap-1">
          Version
          <input
            data-testid="diff-against"
            inputMode="numeric"
            placeholder="auto"
            value={versionText}
            onChange={(e) => pick(e.target.value)}
            className="w-16 rounded border-0 px-1.5 py-0.5 text-xs ring-1 ring-inset ring-slate-300"
          />
        </label>
        {versionText && !against && <span className="text-rose-700">no v{versionText}; showing the default</span>}
      </div>
      <input
        data-testid="diff-filter"
        type="search"
        placeholder="Filter by path (e.g. draft, log)"
        aria-label="Filter the diff by path"
        value={filter}
        onChange={(e) => (setFilter(e.target.value), setRows(ROWS_PAGE))}
        className="rounded border-0 px-2 py-1 text-xs ring-1 ring-inset ring-slate-300"
      />
      {diff.isPending && <p className="text-sm text-slate-600">Loading diff…</p>}
      {diff.error && <p className="text-sm text-rose-700">{errorMessage(diff.error)}</p>}
      {d && d.entries.length === 0 && <p className="text-sm text-slate-600">No state changes.</p>}
      {d && d.entries.length > 0 && entries.length === 0 && <p className="text-sm text-slate-600">No change under “{filter}”.</p>}
      <ul className="flex flex-col gap-1" data-testid="diff-entries" data-count={entries.length}>
        {entries.slice(0, rows).map((e) => (
          <DiffEntryRow key={`${e.kind}:${pathText(e.path)}`} d={e} values={cp.values} againstVersion={d?.againstVersion ?? null} />
        ))}
      </ul>
      {entries.length > rows && (
        <button data-testid="diff-more" onClick={() => setRows((n) => n + ROWS_PAGE)} className="self-start text-xs text-indigo-700 hover:underline">
          Show {Math.min(ROWS_PAGE, entries.length - rows)} more of {entries.length - rows} changes
        </button>
      )}
    </div>
  );
}
