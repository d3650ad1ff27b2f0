import type { CheckpointStore } from "../../checkpoint/types";
import { isThreadNotFound } from "../../errors";
import { log } from "../log";
import type { RunQueue } from "./types";

/**
 * Hands the thread's first waiting run (multitaskStrategy "enqueue") to the queue once the thread is free. Called by
 * whoever may have freed it or filled its list: a worker whose run on the thread ended, the web instance that
 * just added a run to the list, and every worker's sweep (a process that died between the two).
 *
 * Only the first entry is ever promoted, and it stays in the list until a worker has started its run (job.ts), so
 * however many callers race here the waiting runs start one at a time, in order. The job's id is the run's id:
 * promoting twice adds one job. An entry whose job is already over without having started its run (its retries ran
 * out) is dropped, so the runs behind it are not stuck.
 */
export async function promoteWaiting(store: CheckpointStore, queue: RunQueue, threadId: string): Promise<void> {
  for (;;) {
    const [first] = await queue.waiting.list(threadId);
    if (!first) return;
    const thread = await store.getThread(threadId).catch((err: unknown) => {
      if (isThreadNotFound(err)) return null;
      throw err;
    });
    if (thread === null) {
      // Deleted: nothing of it is left to run on.
      await queue.waiting.remove(first.runId, threadId);
      log().warn({ threadId, runId: first.runId }, `queued run ${first.runId} dropped: thread ${threadId} was deleted`);
      continue;
    }
    // Its run's end (on whichever worker) promotes again.
    if (thread.status === "running") return;
    const state = await queue.state(first.runId);
    if (state === "finished") {
      await queue.waiting.remove(first.runId, threadId);
      log().error({ threadId, runId: first.runId }, `queued run ${first.runId} on thread ${threadId} ended without starting; the next one goes`);
      continue;
    }
    if (state === "unknown") await queue.enqueue(first, { queued: true });
    return;
  }
}
