import "server-only";
import type { CheckpointStore, ThreadInfo, ThreadStatus } from "../checkpoint/types";

// Apart from thread-counts.ts so that metrics.ts (imported by runtime.ts) can use it without a cycle.

/** Threads walked per count at most (500 a page); beyond it the count says `capped`. */
export const COUNT_CAP = 10_000;

export interface ThreadWalk {
  count: number;
  /** The earliest `updatedAt` among the counted threads (ms), Infinity when none. */
  oldestAt: number;
  capped: boolean;
}

/** Page reads per count at most: a search's pages may be short (Redis scans a bounded slice per call). */
const PAGE_CAP = 40;

/**
 * Counts the threads of a listing filter by walking the store's thread pages (the listing's own index on every
 * backend), keeping those `include` accepts. Bounded by COUNT_CAP threads and PAGE_CAP page reads.
 */
export async function walkThreads(
  store: CheckpointStore,
  filter: { status?: ThreadStatus; graphId?: string; query?: string },
  include: (t: ThreadInfo) => boolean = () => true,
): Promise<ThreadWalk> {
  let count = 0;
  let seen = 0;
  let oldestAt = Infinity;
  let cursor: string | null = null;
  let pages = 0;
  do {
    pages++;
    const page = await store.listThreads({ ...filter, limit: 500, cursor });
    seen += page.threads.length;
    for (const t of page.threads) {
      if (!include(t)) continue;
      count++;
      oldestAt = Math.min(oldestAt, Date.parse(t.updatedAt));
    }
    cursor = page.nextCursor;
  } while (cursor && seen < COUNT_CAP && pages < PAGE_CAP);
  return { count, oldestAt, capped: cursor !== null };
}
