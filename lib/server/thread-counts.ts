import "server-only";
import type { CheckpointStore, ThreadInfo, ThreadStatus } from "../checkpoint/types";
import type { ApiThreadCounts } from "../api/responses";
import type { ThreadCountsQuery } from "../api/requests";
import type { Caller } from "./auth/caller";
import type { Runtime } from "./runtime";

/** Threads walked per count at most (500 a page); beyond it the count says `capped`. */
export const COUNT_CAP = 10_000;

export interface ThreadWalk {
  count: number;
  /** The earliest `updatedAt` among the counted threads (ms), Infinity when none. */
  oldestAt: number;
  capped: boolean;
}

/**
 * Counts a status's threads by walking the store's thread pages (the listing's own index on every backend),
 * keeping those `include` accepts. Bounded by COUNT_CAP, so a count costs at most 20 page reads.
 */
export async function walkThreads(
  store: CheckpointStore,
  filter: { status: ThreadStatus; graphId?: string },
  include: (t: ThreadInfo) => boolean = () => true,
): Promise<ThreadWalk> {
  let count = 0;
  let seen = 0;
  let oldestAt = Infinity;
  let cursor: string | null = null;
  do {
    const page = await store.listThreads({ ...filter, limit: 500, cursor });
    seen += page.threads.length;
    for (const t of page.threads) {
      if (!include(t)) continue;
      count++;
      oldestAt = Math.min(oldestAt, Date.parse(t.updatedAt));
    }
    cursor = page.nextCursor;
  } while (cursor && seen < COUNT_CAP);
  return { count, oldestAt, capped: cursor !== null };
}

/**
 * GET /api/thread-counts: how many threads wait for a person (all of them, not the loaded page), within the
 * caller's graphs and the optional graph filter, and since when the oldest waits.
 */
export async function threadCounts(rt: Runtime, who: Caller, q: ThreadCountsQuery): Promise<ApiThreadCounts> {
  const scope = who.principal.graphs;
  if (q.graphId !== undefined && scope !== null && !scope.includes(q.graphId)) return { waiting: 0, capped: false, oldestWaitingSince: null };
  const w = await walkThreads(rt.store, { status: "interrupted", graphId: q.graphId }, (t) => who.can("read", t.graphId));
  return { waiting: w.count, capped: w.capped, oldestWaitingSince: w.count > 0 ? new Date(w.oldestAt).toISOString() : null };
}
