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
