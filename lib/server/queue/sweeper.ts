import { newLockOwner } from "../../checkpoint/local-lock";
import type { CheckpointStore } from "../../checkpoint/types";
import type { RunManager } from "../runs";
import { errFields, log } from "../log";
import type { RunQueue } from "./types";
import { promoteWaiting } from "./promote";

/**
 * Finds the runs of workers that died (SIGKILL, a lost machine): threads left "running" whose run lock nobody
 * renews any more. Every `intervalMs` each worker looks at the "running" threads it does not run itself and
 * quiet for longer than the lock's lease; it tries their lock — taken means the holder is gone — lets it go
 * at once and queues a continue job, which any worker takes (job.ts). A live run's lock is renewed, so the
 * try fails and changes nothing. (On pg-boss it also offers again the run jobs of a worker that died before
 * their run saved anything — `RunQueue.reclaim`.) This works the same on both queues; BullMQ's own stalled-job check also
 * brings a dead worker's job back, and whichever comes second finds the thread already taken.
 */
export function startSweeper(deps: { store: CheckpointStore; runs: RunManager; queue: RunQueue; lockTtlMs: number }): () => void {
  const owner = newLockOwner();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  /** Free lock: nobody runs the thread (taken and let go at once). */
  const unlocked = async (threadId: string) => {
    const res = await deps.store.acquireLock(threadId, owner, 1_000);
    if (res.acquired) await deps.store.releaseLock(threadId, owner);
    return res.acquired;
  };
  const sweep = async () => {
    let cursor: string | null = null;
    do {
      const page = await deps.store.listThreads({ status: "running", limit: 500, cursor });
      for (const t of page.threads) {
        if (stopped) return;
        if (!t.graphId || deps.runs.activeRun(t.threadId)) continue;
        if (Date.now() - Date.parse(t.updatedAt) < deps.lockTtlMs) continue;
        if (!(await unlocked(t.threadId))) continue;
        log().info({ threadId: t.threadId }, `thread ${t.threadId} was left running by a worker that stopped; queued to continue`);
        await deps.queue.enqueueContinue(t.threadId, t.graphId);
      }
      cursor = page.nextCursor;
    } while (cursor);
    // A run job whose worker died after taking it and before the run's first checkpoint: its thread is not
    // "running" (nothing was saved), the run id is not on its head, and nobody holds its lock.
    // Four leases, not one: a live worker slow to start a job it took (a loaded machine) must not look dead, or
    // its run would be offered again beside it (the start re-checks its delivery too: job.ts).
    const reclaimed = await deps.queue.reclaim?.(4 * deps.lockTtlMs, async (job) => {
      if (deps.runs.activeRun(job.threadId)) return false;
      const t = await deps.store.getThread(job.threadId).catch(() => null);
      if (!t || t.status === "running") return false;
      if ((await deps.store.latest(job.threadId))?.metadata.runId === job.runId) return false;
      return unlocked(job.threadId);
    });
    if (reclaimed) log().info({ reclaimed }, `${reclaimed} queued run(s) of a stopped worker offered again`);
    // Runs waiting behind a thread (multitaskStrategy "enqueue") whose run ended while nobody promoted the next:
    // its worker died right after, or the web instance that queued one died before it could look.
    for (const threadId of await deps.queue.waiting.threads()) {
      if (stopped) return;
      if (!deps.runs.activeRun(threadId)) await promoteWaiting(deps.store, deps.queue, threadId);
    }
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
