"use client";
import { diffWordsWithSpace } from "diff";
import { useMemo, useState } from "react";
import { pathText } from "@/lib/client/format";
import type { DiffEntry } from "@/lib/client/types";

const KIND_CLS: Record<string, string> = {
  added: "border-emerald-500 bg-emerald-50",
  removed: "border-rose-500 bg-rose-50",
  changed: "border-amber-500 bg-amber-50",
  appended: "border-emerald-500 bg-emerald-50",
  truncated: "border-rose-500 bg-rose-50",
};
const KIND_MARK: Record<string, string> = { added: "+", removed: "−", changed: "~", appended: "+", truncated: "−" };

/** Longer strings are shown before / after instead of word by word (a word diff is quadratic at worst). */
const WORD_DIFF_MAX = 20_000;
/** Appended items listed per "show more". */
const ITEMS_PAGE = 50;

function show(v: unknown): string {
  if (v === undefined) return "";
  const s = JSON.stringify(v);
  return s.length > 400 ? `${s.slice(0, 400)}…` : s;
}

/** A string change word by word (jsdiff): removed words struck through, added ones highlighted. */
function WordDiff({ before, after }: { before: string; after: string }) {
  const parts = useMemo(() => diffWordsWithSpace(before, after), [before, after]);
  return (
    <div data-testid="diff-words" className="whitespace-pre-wrap break-words font-sans text-[13px] leading-relaxed text-slate-800">
      {parts.map((p, i) =>
        p.added ? (
          <ins key={i} data-testid="diff-word-added" className="rounded-sm bg-emerald-200 text-emerald-950 no-underline">
            {p.value}
          </ins>
        ) : p.removed ? (
          <del key={i} data-testid="diff-word-removed" className="rounded-sm bg-rose-200 text-rose-950 line-through">
            {p.value}
          </del>
        ) : (
          <span key={i}>{p.value}</span>
        ),
      )}
    </div>
  );
}

/** The value at `path` in `values`, if any. */
function valueAt(values: Record<string, unknown> | undefined, path: (string | number)[]): unknown {
  let v: unknown = values;
  for (const k of path) v = v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/** An appended tail's items, from the checkpoint's own values, a page at a time (never all 10,000 at once). */
function AppendedItems({ items, from }: { items: unknown[]; from: number }) {
  const [shown, setShown] = useState(ITEMS_PAGE);
  return (
    <div className="mt-1">
      <ol data-testid="diff-items" className="flex max-h-80 flex-col gap-0.5 overflow-auto rounded bg-white/60 p-1">
        {items.slice(0, shown).map((item, i) => (
          <li key={i} data-testid="diff-item" className="break-all text-emerald-900">
            <span className="mr-2 text-slate-500">[{from + i}]</span>
            {show(item)}
          </li>
        ))}
      </ol>
      {shown < items.length && (
        <button data-testid="diff-items-more" onClick={() => setShown((n) => n + ITEMS_PAGE * 4)} className="mt-1 text-indigo-700 hover:underline">
          Show {Math.min(ITEMS_PAGE * 4, items.length - shown).toLocaleString("en-US")} more of {(items.length - shown).toLocaleString("en-US")}
        </button>
      )}
    </div>
  );
}

/** One change; `values` are the selected checkpoint's (for listing an appended tail). */
export function DiffEntryRow({ d, values, againstVersion }: { d: DiffEntry; values?: Record<string, unknown>; againstVersion: number | null }) {
  const [open, setOpen] = useState(false);
  const path = pathText(d.path);
  const words =
    d.kind === "changed" && typeof d.before === "string" && typeof d.after === "string" && d.before.length + d.after.length <= WORD_DIFF_MAX;
  const tail = d.kind === "appended" ? valueAt(values, d.path) : undefined;
  return (
    <li data-testid="diff-entry" data-kind={d.kind} data-path={path} className={`rounded border-l-4 px-2 py-1 font-mono text-xs ${KIND_CLS[d.kind]}`}>
      <div className="flex gap-2">
        <span className="font-bold">{KIND_MARK[d.kind]}</span>
        <span className="min-w-0 break-all font-semibold text-slate-800">{path}</span>
        <span className="ml-auto shrink-0 text-[10px] uppercase text-slate-600">{d.kind}</span>
      </div>
      {(d.kind === "appended" || d.kind === "truncated") && (
        <div className="flex flex-wrap items-center gap-2">
          <span data-testid="diff-count" className={d.kind === "appended" ? "font-semibold text-emerald-900" : "font-semibold text-rose-900"}>
            {d.kind === "appended" ? "+" : "−"}
            {(d.count ?? 0).toLocaleString("en-US")} items
          </span>
          <span className="text-slate-600">
            {d.kind === "appended" ? "appended" : "removed"}: [{(d.from ?? 0).toLocaleString("en-US")}] to [
            {((d.from ?? 0) + (d.count ?? 0) - 1).toLocaleString("en-US")}]
            {d.kind === "truncated" && againstVersion !== null ? ` (they are in v${againstVersion})` : ""}
          </span>
          {Array.isArray(tail) && (
            <button data-testid="diff-expand" onClick={() => setOpen((o) => !o)} className="text-indigo-700 hover:underline">
              {open ? "Hide items" : "List them"}
            </button>
          )}
        </div>
      )}
      {open && Array.isArray(tail) && <AppendedItems items={tail.slice(d.from ?? 0)} from={d.from ?? 0} />}
      {words && <WordDiff before={d.before as string} after={d.after as string} />}
      {!words && (d.kind === "changed" || d.kind === "removed") && (
        <div className="break-all text-rose-800 line-through decoration-rose-400">{show(d.before)}</div>
      )}
      {!words && (d.kind === "changed" || d.kind === "added") && <div className="break-all text-emerald-800">{show(d.after)}</div>}
    </li>
  );
}
