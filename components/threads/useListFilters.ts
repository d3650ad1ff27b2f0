"use client";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback } from "react";
import { THREAD_STATUSES, type ThreadStatus } from "@/lib/client/types";

export type ListSort = "updated" | "waiting";
export type FilterKey = "status" | "graph" | "q" | "sort";

/**
 * The thread list's filters, kept in the URL (?status=&graph=&q=&sort=): shareable, and restored when coming back
 * from a thread. Unknown values read as "no filter". `set` replaces the URL entry (filters are not history steps).
 */
export function useListFilters() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const st = params.get("status") ?? "";
  const sort: ListSort = params.get("sort") === "waiting" ? "waiting" : "updated";
  // "waiting" is the interrupted threads: a status picked before switching to it does not apply.
  const status: ThreadStatus | "" = sort === "waiting" ? "" : (THREAD_STATUSES as readonly string[]).includes(st) ? (st as ThreadStatus) : "";
  const graphId = params.get("graph") ?? "";
  const query = (params.get("q") ?? "").slice(0, 200);
  const set = useCallback(
    (changes: Partial<Record<FilterKey, string>>) => {
      const next = new URLSearchParams(params.toString());
      for (const [k, v] of Object.entries(changes)) {
        if (v && !(k === "sort" && v === "updated")) next.set(k, v);
        else next.delete(k);
      }
      if (next.get("sort") === "waiting") next.delete("status");
      const q = next.toString();
      router.replace(q ? `${pathname}?${q}` : pathname, { scroll: false });
    },
    [params, pathname, router],
  );
  return { status, graphId, query, sort, set, filtered: Boolean(status || graphId || query || sort === "waiting") };
}
