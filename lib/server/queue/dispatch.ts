import { v7 as uuidv7 } from "uuid";
import { WaypointError, checkpointNotFound } from "../../errors";
import type { CheckpointStore } from "../../checkpoint/types";
import type { GraphRegistry } from "../graphs";
import type { RunDispatch, RunInfo } from "../runs";
import type { RunRequest } from "../run-request";
import type { RunQueue } from "./types";

/**
 * `RunManager.start` on a web instance that executes nothing (WAYPOINT_EXECUTE=off): the run becomes a queue
 * job that any worker takes. What the engine would refuse before writing anything is checked here first, so
 * those refusals stay HTTP errors (busy thread → 409, unknown checkpoint → 404, nothing to continue → 404);
 * what only the run can find out (a stale expectedCheckpointId, a bad resume value) ends the run with the
 * thread's error, as a failing run does.
 *
 * The answer's run is "running" from the moment it is queued (the API's run has no "queued" state); `finished`
 * (a `wait: true` request) follows the job through the queue, and is only polled when someone waits on it.
 */
export class QueueDispatch implements RunDispatch {
  constructor(
    private readonly store: CheckpointStore,
    private readonly graphs: GraphRegistry,
    private readonly queue: RunQueue,
  ) {}

  async start(threadId: string, graphId: string, req: RunRequest): Promise<{ run: RunInfo; finished: Promise<RunInfo> }> {
    this.graphs.definition(graphId);
    const thread = await this.store.getThread(threadId).catch(() => null);
    if (thread?.status === "running") throw busy(threadId);
    // Runs queued behind the thread's last run (multitaskStrategy "enqueue") go first.
    if ((await this.queue.waiting.list(threadId)).length) throw busy(threadId);
    if (req.checkpointId !== undefined) {
      const cp = await this.store.load(req.checkpointId);
      if (cp.threadId !== threadId) throw checkpointNotFound(req.checkpointId);
    } else if (req.input === null && !thread?.headCheckpointId) {
      throw new WaypointError("THREAD_NOT_FOUND", `Thread "${threadId}" has no checkpoint to continue from; start it with an input.`, { threadId });
    }
    const runId = req.runId ?? uuidv7();
    const accepted = await this.queue.enqueue({ kind: "run", runId, threadId, graphId, request: { ...req, runId } });
    if (!accepted) throw busy(threadId);
    const run: RunInfo = { runId, threadId, graphId, status: "running", startedAt: new Date().toISOString(), endedAt: null };
    return { run, finished: lazy(() => this.finished(run)) };
  }

  /** The run's end, for a `wait: true` request (polled only when someone waits on it). */
  private finished(run: RunInfo): Promise<RunInfo> {
    return followRun(this.store, this.queue, run);
  }
}

/**
 * Polls the run's job until the queue is done with it, then the thread until it is no longer "running" (a run a
 * stopping worker handed off goes on as a continue job), and answers how the thread ended. `waiting`: the run is
 * still in the thread's waiting list (multitaskStrategy "enqueue"), so a job not there yet is not there *yet*.
 */
export async function followRun(store: CheckpointStore, queue: RunQueue, run: RunInfo, waiting?: () => Promise<boolean>): Promise<RunInfo> {
  let wait = 100;
  const pause = () => new Promise((r) => setTimeout(r, (wait = Math.min(1000, wait * 2))));
  for (;;) {
    const state = await queue.state(run.runId);
    if (state === "finished" || (state === "unknown" && waiting && !(await waiting()))) break;
    await pause();
  }
  let t = await store.getThread(run.threadId);
  while (t.status === "running") {
    await pause();
    t = await store.getThread(run.threadId);
  }
  const status = t.status === "idle" ? "done" : t.status;
  return { ...run, status, endedAt: new Date().toISOString() };
}

function busy(threadId: string): WaypointError {
  return new WaypointError("THREAD_BUSY", `Thread "${threadId}" already has an active or queued run.`, { threadId });
}

/** A promise whose work starts on the first `then` (nobody waits on most runs' end). */
export function lazy<T>(make: () => Promise<T>): Promise<T> {
  let p: Promise<T> | null = null;
  const get = () => (p ??= make());
  return {
    then: (ok, bad) => get().then(ok, bad),
    catch: (bad) => get().catch(bad),
    finally: (f) => get().finally(f),
    [Symbol.toStringTag]: "Promise",
  } as Promise<T>;
}
