"use client";
import { useCallback, useEffect, useState } from "react";
import { useGraphs } from "@/lib/client/hooks";
import { THREAD_STATUSES } from "@/lib/client/types";
import type { useListFilters } from "./useListFilters";

const SELECT =
  "min-w-0 flex-1 rounded-md border-0 py-1.5 pl-2 pr-8 text-xs sm:flex-none ring-1 ring-inset ring-slate-300 disabled:bg-slate-50 disabled:text-slate-400";

/**
 * Search box, status / graph filters and sort of the thread list. The box writes the URL 300 ms after typing
 * stops (Enter at once); when the URL changes from outside (back, a shared link) the box follows it.
 */
export function ThreadSearchBar({ f }: { f: ReturnType<typeof useListFilters> }) {
  const graphs = useGraphs();
  const [text, setText] = useState(f.query);
  const [shown, setShown] = useState(f.query);
  // The last query this box wrote to the URL: its arrival must not undo what was typed since.
  const [sent, setSent] = useState<string | null>(null);
  // The URL moved (back / forward / a link): show its query. Adjusting state while rendering, as React advises.
  if (shown !== f.query) {
    setShown(f.query);
    if (f.query !== sent) setText(f.query);
  }
  const { set, query } = f;
  const send = useCallback(
    (value: string) => {
      setSent(value);
      set({ q: value });
    },
    [set],
  );
  useEffect(() => {
    if (text.trim() === query) return;
    const timer = setTimeout(() => send(text.trim()), 300);
    return () => clearTimeout(timer);
  }, [text, query, send]);

  return (
    <div className="flex flex-wrap items-center gap-2 border-b border-slate-100 px-3 py-2" role="search">
      <input
        type="search"
        aria-label="Search threads"
        data-testid="thread-search"
        placeholder="Search id, label, graph, status, error, metadata…"
        value={text}
        maxLength={200}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") send(text.trim());
        }}
        className="min-w-0 flex-[1_1_16rem] rounded-md border-0 px-2.5 py-1.5 text-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-indigo-600"
      />
      <select
        aria-label="Filter by status"
        data-testid="filter-status"
        value={f.sort === "waiting" ? "interrupted" : f.status}
        disabled={f.sort === "waiting"}
        title={f.sort === "waiting" ? "Sorted by waiting time: only threads waiting for review" : undefined}
        onChange={(e) => set({ status: e.target.value })}
        className={SELECT}
      >
        <option value="">All statuses</option>
        {THREAD_STATUSES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <select
        aria-label="Filter by graph"
        data-testid="filter-graph"
        value={f.graphId}
        onChange={(e) => set({ graph: e.target.value })}
        className={SELECT}
      >
        <option value="">All graphs</option>
        {(graphs.data ?? []).map((g) => (
          <option key={g.graphId} value={g.graphId}>
            {g.graphId}
          </option>
        ))}
      </select>
      <select aria-label="Sort threads" data-testid="thread-sort" value={f.sort} onChange={(e) => set({ sort: e.target.value })} className={SELECT}>
        <option value="updated">Newest update first</option>
        <option value="waiting">Waiting longest first</option>
      </select>
    </div>
  );
}
