"use client";
import Link from "next/link";
import { age } from "@/lib/client/age";
import { errorMessage } from "@/lib/client/api";
import { timeAgo, shortId } from "@/lib/client/format";
import { useThreadCounts, useThreads } from "@/lib/client/hooks";
import type { Thread } from "@/lib/client/types";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { StatusBadge } from "../ui/StatusBadge";
import { ThreadSearchBar } from "./ThreadSearchBar";
import { useListFilters } from "./useListFilters";

function label(t: Thread): string {
  const m = t.metadata ?? {};
  const l = m.label ?? m.title ?? m.name;
  return typeof l === "string" ? l : "";
}

function Row({ t }: { t: Thread }) {
  const waiting = t.status === "interrupted";
  const href = `/threads/${encodeURIComponent(t.threadId)}`;
  return (
    <tr
      data-testid="thread-row"
      data-thread-id={t.threadId}
      data-status={t.status}
      className={`group border-t border-slate-100 hover:bg-slate-50 ${waiting ? "bg-amber-50/60" : ""}`}
    >
      <td className={`py-2 pl-3 pr-2 ${waiting ? "border-l-4 border-amber-400" : "border-l-4 border-transparent"}`}>
        <Link href={href} className="font-mono text-xs text-indigo-700 hover:underline" data-testid="thread-link" title={t.threadId}>
          {shortId(t.threadId)}
        </Link>
        {label(t) && (
          <div className="max-w-[11rem] truncate text-xs text-slate-500 sm:max-w-xs" title={label(t)}>
            {label(t)}
          </div>
        )}
        <div className="text-xs text-slate-500 sm:hidden">{t.graphId}</div>
        {t.status === "error" && t.error && (
          <div className="max-w-[11rem] truncate text-xs text-rose-700 sm:max-w-[48ch]" title={t.error.message}>
            {t.error.node ? `${t.error.node}: ` : ""}
            {t.error.message}
          </div>
        )}
        {waiting && (
          <div className="text-xs text-amber-800">
            {t.interrupts[0] ? `waiting at ${t.interrupts[0].node} · ` : "waiting · "}
            <span data-testid="waiting-since" title={`Waiting since ${new Date(t.updatedAt).toLocaleString()}`}>
              for {age(t.updatedAt)}
            </span>
          </div>
        )}
      </td>
      <td className="hidden px-2 py-2 text-sm sm:table-cell">{t.graphId ?? "—"}</td>
      <td className="whitespace-nowrap px-2 py-2">
        <StatusBadge status={t.status} />
      </td>
      <td className="hidden px-2 py-2 text-right font-mono text-xs text-slate-600 sm:table-cell">{t.headVersion ?? t.checkpointCount ?? "—"}</td>
      <td className="hidden px-2 py-2 text-xs text-slate-500 md:table-cell" title={t.updatedAt}>
        {timeAgo(t.updatedAt)}
      </td>
      <td className="hidden py-2 pl-2 pr-3 text-right sm:table-cell">
        <Link
          href={href}
          className={`rounded-md px-2 py-1 text-xs font-medium ${waiting ? "bg-amber-400 text-amber-950 hover:bg-amber-300" : "text-indigo-700 hover:bg-indigo-50"}`}
        >
          {waiting ? "Review" : "Open"}
        </Link>
      </td>
    </tr>
  );
}

/**
 * Every thread, searchable and filterable (server-side, paged), newest update first or the longest waiting first;
 * with the default order, threads waiting for a human come first among those loaded.
 */
export function ThreadList() {
  const f = useListFilters();
  const { status, graphId, query, sort } = f;
  const threads = useThreads({ status, graphId: graphId || undefined, query: query || undefined, sort });
  // The count of what the list shows: "waiting longest first" is the interrupted threads.
  const counts = useThreadCounts({ graphId: graphId || undefined, status: sort === "waiting" ? "interrupted" : status, query: query || undefined });
  const list = threads.data?.pages.flatMap((p) => p.threads) ?? [];
  const waiting = list.filter((t) => t.status === "interrupted");
  const rest = list.filter((t) => t.status !== "interrupted");
  const matching = counts.data?.matching;

  return (
    <Card
      testId="thread-list"
      title={
        <span className="flex items-center gap-2">
          Threads
          {(counts.data?.waiting ?? 0) > 0 && (
            <span
              data-testid="waiting-count"
              title={
                counts.data?.oldestWaitingSince
                  ? `The oldest has waited since ${new Date(counts.data.oldestWaitingSince).toLocaleString()}`
                  : undefined
              }
              className="rounded-full bg-amber-400 px-2 py-0.5 text-xs font-semibold text-amber-950"
            >
              {counts.data!.waiting.toLocaleString()}
              {counts.data!.capped ? "+" : ""} waiting for review
            </span>
          )}
        </span>
      }
    >
      <ThreadSearchBar f={f} />
      {matching && (
        <p data-testid="threads-matching" className="px-3 pt-2 text-xs text-slate-500" aria-live="polite">
          {matching.count.toLocaleString()}
          {matching.capped ? "+" : ""} {f.filtered ? "matching" : matching.count === 1 ? "thread" : "threads"}
          {matching.capped ? " (counted up to 10,000)" : ""}
          {sort === "waiting" ? " · longest waiting first" : ""}
        </p>
      )}
      {threads.error && <p className="p-3 text-sm text-rose-700">Could not load threads: {errorMessage(threads.error)}</p>}
      <div className="overflow-x-auto">
        <table className="w-full text-left">
          <thead className="text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th className="py-2 pl-4 pr-2 font-medium">Thread</th>
              <th className="hidden px-2 py-2 font-medium sm:table-cell">Graph</th>
              <th className="px-2 py-2 font-medium">Status</th>
              <th className="hidden px-2 py-2 text-right font-medium sm:table-cell" title="Head version">
                Version
              </th>
              <th className="hidden px-2 py-2 font-medium md:table-cell">Updated</th>
              <th className="hidden py-2 pl-2 pr-3 sm:table-cell" />
            </tr>
          </thead>
          <tbody>
            {(sort === "waiting" ? list : [...waiting, ...rest]).map((t) => (
              <Row key={t.threadId} t={t} />
            ))}
          </tbody>
        </table>
      </div>
      {threads.hasNextPage && (
        <div className="flex justify-center border-t border-slate-100 p-3">
          <Button data-testid="threads-more" pending={threads.isFetchingNextPage} onClick={() => void threads.fetchNextPage()}>
            Load more threads
          </Button>
        </div>
      )}
      {threads.isPending && <p className="p-4 text-sm text-slate-500">Loading threads…</p>}
      {!threads.isPending && list.length === 0 && (
        <div data-testid="threads-empty" className="p-6 text-center text-sm text-slate-500">
          {f.filtered ? (
            <>
              <p>
                No threads match{query ? <> “{query}”</> : ""}
                {status || graphId || sort === "waiting" ? " with these filters" : ""}.
              </p>
              <button
                data-testid="clear-filters"
                onClick={() => f.set({ q: "", status: "", graph: "", sort: "" })}
                className="mt-2 text-indigo-700 hover:underline"
              >
                Clear search and filters
              </button>
            </>
          ) : (
            "No threads yet: start one with New run."
          )}
        </div>
      )}
    </Card>
  );
}
