import "server-only";
import { WaypointError, isThreadBusy } from "../errors";
import type { CheckpointStore } from "../checkpoint/types";
import type { RunInfo } from "./runs";
import type { RunRequest } from "./run-request";
import type { Runtime } from "./runtime";
import { stopCurrent } from "./stop-run";

/**
 * What a run asked for on a busy thread does (LangGraph's `multitask_strategy`), chosen per request:
 * - `reject` (the default): 409 THREAD_BUSY, as before.
 * - `enqueue`: the run waits and starts once the current one has ended (run-queue.ts; with workers durably, in the
 *   queue's store: queue/waitlist.ts); answered at once, "pending".
 * - `interrupt`: the current run is cancelled at its last checkpoint (wherever it runs: locally, through the
 *   pub/sub on the instance that runs it, or under its lock when its server died), then this run starts.
 * - `rollback`: as interrupt, and this run starts from the checkpoint the cancelled run started at, so the
 *   cancelled run's checkpoints are left behind on a branch of their own: discarded from the thread's current
 *   line, never deleted (the timeline still shows them).
 * A thread that is not busy runs the request at once whatever the strategy.
 */
export const MULTITASK_STRATEGIES = ["reject", "enqueue", "interrupt", "rollback"] as const;
export type MultitaskStrategy = (typeof MULTITASK_STRATEGIES)[number];

export interface MultitaskOutcome {
  strategy: MultitaskStrategy;
  /** The run this request stopped (null: none was running any more, or its server had died). */
  stoppedRunId: string | null;
  /** rollback: the checkpoint the new run branched from (null: the stopped run had saved nothing to discard). */
  rolledBackTo?: string | null;
}

export interface StrategyStart {
  run: RunInfo;
  finished: Promise<RunInfo>;
  /** Set when the strategy had to act (the thread was busy). */
  multitask: MultitaskOutcome | null;
}

export async function startWithStrategy(
  rt: Runtime,
  threadId: string,
  graphId: string,
  req: RunRequest,
  strategy: MultitaskStrategy,
): Promise<StrategyStart> {
  if (strategy === "reject") return { ...(await startNow(rt, threadId, graphId, req)), multitask: null };
  if (!(await busy(rt, threadId))) {
    try {
      return { ...(await startNow(rt, threadId, graphId, req)), multitask: null };
    } catch (err) {
      if (!isThreadBusy(err)) throw err; // a run started meanwhile: the strategy applies
    }
  }
  if (strategy === "enqueue") return { ...(await rt.queue.enqueue(threadId, graphId, req)), multitask: { strategy, stoppedRunId: null } };

  const stoppedRunId = (await stopCurrent(rt, threadId)).runId;
  const outcome: MultitaskOutcome = { strategy, stoppedRunId };
  let request: RunRequest = { ...req, metadata: { ...req.metadata, multitask: strategy, ...(stoppedRunId ? { stoppedRunId } : {}) } };
  if (strategy === "rollback") {
    const from = stoppedRunId ? await startOfRun(rt.store, threadId, stoppedRunId) : undefined;
    if (from === null)
      throw new WaypointError(
        "CONFLICT",
        `The run on thread "${threadId}" was stopped, but it was the thread's first run: there is no earlier checkpoint to branch from. Start the thread again with a new input.`,
        { threadId },
      );
    outcome.rolledBackTo = from ?? null;
    // An explicit checkpointId in the request is where the caller wants to go; otherwise back to the start.
    if (from !== undefined && request.checkpointId === undefined) request = { ...request, checkpointId: from };
  }
  return { ...(await startNow(rt, threadId, graphId, request)), multitask: outcome };
}

function startNow(rt: Runtime, threadId: string, graphId: string, req: RunRequest) {
  req.beforeStart?.();
  return rt.runs.start(threadId, graphId, req);
}

async function busy(rt: Runtime, threadId: string): Promise<boolean> {
  if (rt.runs.activeRun(threadId)) return true;
  return (await rt.store.getThread(threadId)).status === "running";
}

/**
 * The checkpoint a run started from: the parent of the oldest of its checkpoints. Under the run lock nothing else
 * writes, so the run's checkpoints are the newest ones. undefined: the run saved none; null: its first checkpoint
 * is the thread's first (nothing before it to go back to).
 */
export async function startOfRun(store: CheckpointStore, threadId: string, runId: string): Promise<string | null | undefined> {
  let before: number | undefined;
  let oldest: { parentId: string | null } | undefined;
  for (;;) {
    const page = await store.list(threadId, { order: "desc", limit: 100, before });
    for (const c of page) {
      if (c.metadata.runId !== runId) return oldest?.parentId;
      oldest = c;
    }
    if (page.length < 100) return oldest?.parentId;
    before = page[page.length - 1].version;
  }
}
