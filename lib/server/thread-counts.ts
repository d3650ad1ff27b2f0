import "server-only";
import type { ApiThreadCounts } from "../api/responses";
import type { ThreadInfo } from "../checkpoint/types";
import type { ThreadCountsQuery } from "../api/requests";
import type { Caller } from "./auth/caller";
import type { Runtime } from "./runtime";
import { walkThreads } from "./thread-walk";

/**
 * GET /api/thread-counts: how many threads wait for a person (all of them, not the loaded page), within the
 * caller's graphs and the optional graph filter, and since when the oldest waits; and how many threads match the
 * list's status / graph / query (the list's "N matching"), counted the same bounded way.
 */
export async function threadCounts(rt: Runtime, who: Caller, q: ThreadCountsQuery): Promise<ApiThreadCounts> {
  const scope = who.principal.graphs;
  if (q.graphId !== undefined && scope !== null && !scope.includes(q.graphId))
    return { waiting: 0, capped: false, oldestWaitingSince: null, matching: { count: 0, capped: false } };
  const readable = (t: ThreadInfo) => who.can("read", t.graphId);
  const [w, m] = await Promise.all([
    walkThreads(rt.store, { status: "interrupted", graphId: q.graphId }, readable),
    walkThreads(rt.store, { status: q.status, graphId: q.graphId, query: q.query }, readable),
  ]);
  return {
    waiting: w.count,
    capped: w.capped,
    oldestWaitingSince: w.count > 0 ? new Date(w.oldestAt).toISOString() : null,
    matching: { count: m.count, capped: m.capped },
  };
}
