import { v7 as uuidv7 } from "uuid";
import type { CheckpointStore } from "../../checkpoint/types";
import { checkpointNotFound } from "../../errors";
import type { QueuedRuns } from "../run-queue";
import type { RunInfo } from "../runs";
import type { RunRequest } from "../run-request";
import { errFields, log } from "../log";
import { followRun, lazy } from "./dispatch";
import { promoteWaiting } from "./promote";
import type { RunQueue } from "./types";

/**
 * multitaskStrategy "enqueue" on a web instance that hands runs to workers (WAYPOINT_EXECUTE=off): the run is
 * written to the thread's waiting list in the queue's store (PostgreSQL table / Redis list) before the 202, so it
 * outlives the instance that accepted it. When the thread's current run ends, the worker that ran it hands the
 * first waiting run to the queue (promote.ts); every worker's sweep does so too, for a process that died in
 * between. Waiting runs start one at a time, in the order they were asked for, across all web instances.
 */
export class DurableWaitlist implements QueuedRuns {
  constructor(
    private readonly store: CheckpointStore,
    private readonly queue: RunQueue,
  ) {}

  async enqueue(threadId: string, graphId: string, req: RunRequest): Promise<{ run: RunInfo; finished: Promise<RunInfo> }> {
    // What would make the run refused when its turn comes is refused now (404), as for a run started at once.
    if (req.checkpointId !== undefined && (await this.store.load(req.checkpointId)).threadId !== threadId) throw checkpointNotFound(req.checkpointId);
    const runId = req.runId ?? uuidv7();
    // beforeStart (a listener for the run's events) cannot travel with it: it is called now, here.
    const { beforeStart, ...request } = req;
    beforeStart?.();
    await this.queue.waiting.push({ kind: "run", runId, threadId, graphId, request: { ...request, runId } });
    // The thread may have become free before the push, and its worker looked at the list before it: promote now
    // (failing that, the workers' sweep does). The run is already safe in the list either way.
    await promoteWaiting(this.store, this.queue, threadId).catch((err: unknown) =>
      log().warn(errFields(err), `queued run ${runId}: could not hand it to the queue yet; the workers' sweep will`),
    );
    const run: RunInfo = { runId, threadId, graphId, status: "pending", startedAt: new Date().toISOString(), endedAt: null };
    const waiting = async () => (await this.queue.waiting.list(threadId)).some((j) => j.runId === runId);
    return { run: { ...run }, finished: lazy(() => followRun(this.store, this.queue, { ...run, status: "running" }, waiting)) };
  }

  async count(threadId: string): Promise<number> {
    return (await this.queue.waiting.list(threadId)).length;
  }
}
