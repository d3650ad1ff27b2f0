import "server-only";
import type { ThreadInfo } from "../checkpoint/types";
import type { ApiForkList } from "../api/responses";
import type { Caller } from "./auth/caller";
import type { Runtime } from "./runtime";
import { readable } from "./threads";
import { COUNT_CAP } from "./thread-walk";

type Fork = ApiForkList["forks"][number];

/** `metadata.forkedFrom` of a thread record, when it names a source thread. */
function forkedFrom(t: ThreadInfo): { threadId: string; checkpointId: string; version: number | null } | null {
  const f = t.metadata?.forkedFrom as { threadId?: unknown; checkpointId?: unknown; version?: unknown } | undefined;
  if (!f || typeof f.threadId !== "string" || typeof f.checkpointId !== "string") return null;
  return { threadId: f.threadId, checkpointId: f.checkpointId, version: typeof f.version === "number" ? f.version : null };
}

/**
 * GET /api/threads/:id/forks: the threads forked from this one into a thread of their own. A fork records its
 * source in its own thread record (`metadata.forkedFrom`, written by CompiledGraph.fork with the fork's first
 * checkpoint), so this walks the thread index — the listing every backend keeps — rather than keeping a list on
 * the source, which concurrent forks would have to update under the source's lock. Bounded like the waiting
 * count (COUNT_CAP threads; `capped` beyond); the source's graph narrows the walk.
 */
export async function listForks(rt: Runtime, who: Caller, threadId: string): Promise<ApiForkList> {
  const source = await readable(rt, who, threadId);
  const forks: Fork[] = [];
  let cursor: string | null = null;
  let seen = 0;
  do {
    const page = await rt.store.listThreads({ graphId: source.graphId ?? undefined, limit: 500, cursor });
    seen += page.threads.length;
    for (const t of page.threads) {
      const from = forkedFrom(t);
      if (from?.threadId !== threadId || t.threadId === threadId || !who.can("read", t.graphId)) continue;
      forks.push({ threadId: t.threadId, status: t.status, checkpointId: from.checkpointId, version: from.version, createdAt: t.createdAt });
    }
    cursor = page.nextCursor;
  } while (cursor && seen < COUNT_CAP);
  forks.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  return { threadId, forks, capped: cursor !== null };
}
