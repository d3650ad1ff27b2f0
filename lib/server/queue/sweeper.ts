import { newLockOwner } from "../../checkpoint/local-lock";
import type { CheckpointStore } from "../../checkpoint/types";
import type { RunManager } from "../runs";
import { errFields, log } from "../log";
import type { RunQueue } from "./types";

/**
 * Finds the runs of workers that died (SIGKILL, a lost machine): threads left "running" whose run lock nobody
 * renews any more. Every `intervalMs` each worker looks at the "running" threads it does not run itself and
 * quiet for longer than the lock's lease; it tries their lock — taken means the holder is gone — lets it go
 * at once and queues a continue job, which any worker takes (job.ts). A live run's lock is renewed, so the
 * try fails and changes nothing. This works the same on both queues; BullMQ's own stalled-job check also
 * brings a dead worker's job back, and whichever comes second finds the thread already taken.
 */
export function startSweeper(deps: { store: CheckpointStore; runs: RunManager; queue: RunQueue; lockTtlMs: number }): () => void {
  const owner = newLockOwner();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const sweep = async () => {
    let cursor: string | null = null;
    do {
      const page = await deps.store.listThreads({ status: "running", limit: 500, cursor });
      for (const t of page.threads) {
        if (stopped) return;
        if (!t.graphId || deps.runs.activeRun(t.threadId)) continue;
        if (Date.now() - Date.parse(t.updatedAt) < deps.lockTtlMs) continue;
        const res = await deps.store.acquireLock(t.threadId, owner, 1_000);
        if (!res.acquired) continue;
        await deps.store.releaseLock(t.threadId, owner);
        log().info({ threadId: t.threadId }, `thread ${t.threadId} was left running by a worker that stopped; queued to continue`);
        await deps.queue.enqueueContinue(t.threadId, t.graphId);
      }
      cursor = page.nextCursor;
    } while (cursor);
  };
  const loop = async () => {
    await sweep().catch((err) => log().error(errFields(err), "looking for stopped runs failed"));
    if (!stopped) timer = setTimeout(() => void loop(), deps.lockTtlMs / 2);
  };
  timer = setTimeout(() => void loop(), 500);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
