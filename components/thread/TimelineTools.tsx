"use client";
import { useState } from "react";
import { SOURCE_CHOICES, type TimelineFind } from "./timeline-find";

const SELECT = "min-w-0 flex-1 truncate rounded-md border-0 py-1 pl-1 pr-0 text-xs ring-1 ring-inset ring-slate-300";

/**
 * Above the timeline: "Go to" a version or step (type, Enter: v1234 of a 10,000-step thread in three actions),
 * and filters by node, source and author.
 */
export function TimelineTools({ find, shown, total }: { find: TimelineFind; shown: number; total: number }) {
  const [text, setText] = useState("");
  const { filter, setFilter, choices } = find;
  return (
    <div className="flex flex-col gap-1.5 border-b border-slate-100 px-2 py-2" data-testid="timeline-tools">
      <form
        role="search"
        aria-label="Go to a checkpoint"
        className="flex gap-1.5"
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) find.goTo(text);
        }}
      >
        <input
          data-testid="timeline-goto"
          aria-label="Go to version or step"
          placeholder="Go to v1234 or step s12"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            find.dismiss();
          }}
          className="min-w-0 flex-1 rounded-md border-0 px-2 py-1 text-xs ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-indigo-600"
        />
        <button
          type="submit"
          className="rounded-md bg-slate-100 px-2 py-1 text-xs font-medium text-slate-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-200"
        >
          Go
        </button>
      </form>
      <div className="flex gap-1.5">
        <select
          aria-label="Filter by node"
          data-testid="timeline-filter-node"
          value={filter.node}
          onChange={(e) => setFilter({ ...filter, node: e.target.value })}
          className={SELECT}
        >
          <option value="">Any node</option>
          {choices.nodes.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <select
          aria-label="Filter by source"
          data-testid="timeline-filter-source"
          value={filter.source}
          onChange={(e) => setFilter({ ...filter, source: e.target.value })}
          className={SELECT}
        >
          {SOURCE_CHOICES.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
        <select
          aria-label="Filter by author"
          data-testid="timeline-filter-author"
          value={filter.author}
          onChange={(e) => setFilter({ ...filter, author: e.target.value })}
          className={SELECT}
        >
          <option value="">Anyone</option>
          {choices.authors.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      {find.message && (
        <p data-testid="timeline-goto-message" aria-live="polite" className={`text-xs ${find.pending ? "text-slate-500" : "text-amber-800"}`}>
          {find.message}
        </p>
      )}
      {find.active && (
        <p className="flex flex-wrap items-center gap-x-2 text-xs text-slate-600">
          <span data-testid="timeline-filtered">
            {shown.toLocaleString()} of {total.toLocaleString()} shown
          </span>
          <button type="button" data-testid="timeline-filter-clear" onClick={find.clear} className="text-indigo-700 hover:underline">
            Clear filters
          </button>
        </p>
      )}
    </div>
  );
}
