import { isStoreUnavailable, isThreadBusy, isThreadNotFound, isWaypointError } from "../../errors";
import type { CheckpointStore, ThreadInfo } from "../../checkpoint/types";
import type { RunManager } from "../runs";
import { log } from "../log";
import { RetryLater, type RunJob, type RunQueue } from "./types";
import { promoteWaiting } from "./promote";

export interface JobDeps {
  store: CheckpointStore;
  /** The worker's own run manager: it executes here (no dispatch). */
  runs: RunManager;
  queue: RunQueue;
  /** Recorded on every checkpoint this worker makes (`metadata.worker`), so each step says where it ran. */
  workerId: string;
}

/**
 * A worker's handling of one job. Queues deliver at least once (a killed worker's job comes back, an expired
 * pg-boss job is offered again), so a job is idempotent: it is tied to its run by the run id every checkpoint
 * of the run carries (`metadata.runId`), and the engine's per-thread lock decides who executes a step.
 *
 * - run job, thread not running: the run has not started (or ended already — its run id is on the head):
 *   start it with its request.
 * - thread "running" with this run's id on its head: its worker died or handed it off; continue from the
 *   last checkpoint (input null), as crash recovery does.
 * - thread "running" another run: offered again later (RetryLater).
 * - continue job: continue the thread if it is still "running" and nobody holds its lock.
 *
 * A run that a stopping worker handed off (it ends "running") is queued again as a continue job. A run that ended
 * otherwise frees the thread for the first of its waiting runs (multitaskStrategy "enqueue"): promote.ts. A waiting
 * run's job takes it off the waiting list once its run has started.
 */
export async function handleJob(deps: JobDeps, job: RunJob, attempt: number): Promise<void> {
  const { store } = deps;
  const thread = await store.getThread(job.threadId).catch((err: unknown) => {
    if (isThreadNotFound(err)) return null;
    throw err;
  });
  if (job.kind === "continue") {
    if (thread?.status === "running") await continueThread(deps, thread, job.graphId);
    return;
  }
  if (thread?.status === "running") {
    const head = await store.latest(job.threadId);
    if (head?.metadata.runId !== job.runId) throw new RetryLater(`thread ${job.threadId} runs another run; run ${job.runId} waits for it`);
    // Its run started (a worker that died may not have taken it off the waiting list yet).
    if (job.queued) await deps.queue.waiting.remove(job.runId, job.threadId);
    await continueThread(deps, thread, job.graphId);
    return;
  }
  // Delivered again after the run ended (its worker died before telling the queue): nothing to do.
  if (attempt > 0 && thread && (await store.latest(job.threadId))?.metadata.runId === job.runId) {
    if (job.queued) await deps.queue.waiting.remove(job.runId, job.threadId);
    await promoteWaiting(store, deps.queue, job.threadId);
    return;
  }
  // Slow to get here (a loaded machine), this delivery may have been taken for a dead worker's and offered again
  // (pg-boss: sweeper.ts): the newer delivery runs it, or already has — starting it here too would run it twice.
  if (await deps.queue.superseded?.(job.runId, attempt)) {
    log().warn({ threadId: job.threadId, runId: job.runId }, `run ${job.runId} was offered again meanwhile; this delivery leaves it`);
    return;
  }
  const request = { ...job.request, metadata: { ...job.request.metadata, worker: deps.workerId } };
  let finished: Promise<{ status: string }>;
  try {
    ({ finished } = await deps.runs.start(job.threadId, job.graphId, request));
  } catch (err) {
    // A waiting run the engine refuses (e.g. its checkpoint is gone) would never start: retrying it would hold up
    // the runs behind it. It is dropped, visibly; a busy thread or a store outage is retried as usual.
    const refused = job.queued && isWaypointError(err) && !isThreadBusy(err) && !isStoreUnavailable(err);
    if (!refused) throw err;
    const message = (err as Error).message;
    log().error({ threadId: job.threadId, runId: job.runId, err: { message } }, `queued run ${job.runId} could not start: ${message}`);
    await deps.queue.waiting.remove(job.runId, job.threadId);
    await promoteWaiting(store, deps.queue, job.threadId);
    return;
  }
  if (job.queued) await deps.queue.waiting.remove(job.runId, job.threadId);
  await afterRun(deps, job.threadId, job.graphId, await finished);
}

/** A run handed off at a checkpoint goes on elsewhere; any other end lets the thread's next waiting run go. */
async function afterRun(deps: JobDeps, threadId: string, graphId: string, ended: { status: string }): Promise<void> {
  if (ended.status === "running") await deps.queue.enqueueContinue(threadId, graphId);
  else await promoteWaiting(deps.store, deps.queue, threadId);
}

/**
 * Continues a "running" thread from its last checkpoint under the same run id. THREAD_BUSY means a live
 * process holds the lock (or a dead one's lease has not run out yet: the sweeper looks again) — done here.
 */
async function continueThread(deps: JobDeps, thread: ThreadInfo, graphId: string): Promise<void> {
  const head = await deps.store.latest(thread.threadId);
  const runId = typeof head?.metadata.runId === "string" ? head.metadata.runId : undefined;
  try {
    const { finished } = await deps.runs.start(thread.threadId, graphId, { input: null, runId, metadata: { worker: deps.workerId } });
    log().info({ threadId: thread.threadId, runId }, `continuing thread ${thread.threadId} from its last checkpoint`);
    await afterRun(deps, thread.threadId, graphId, await finished);
  } catch (err) {
    if (!isThreadBusy(err)) throw err;
  }
}
