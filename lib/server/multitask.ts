import "server-only";
import { v7 as uuidv7 } from "uuid";
import { WaypointError, isNoActiveRun, isThreadBusy } from "../errors";
import type { CheckpointStore } from "../checkpoint/types";
import type { Cluster } from "./pubsub/cluster";
import type { RunInfo } from "./runs";
import type { RunRequest } from "./run-request";
import type { Runtime } from "./runtime";
import { cancelOrphan } from "./cancel-orphan";

/**
 * What a run asked for on a busy thread does (LangGraph's `multitask_strategy`), chosen per request:
 * - `reject` (the default): 409 THREAD_BUSY, as before.
 * - `enqueue`: the run waits and starts once the current one has ended (run-queue.ts); answered at once, "pending".
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

/** How long an instance that runs the thread has to acknowledge a cancel sent over the pub/sub. */
const ACK_MS = 2_000;
/** How long an acknowledged cancel may take before we give up waiting (the step in flight is discarded, so this is short). */
const STOP_MS = 30_000;

export async function startWithStrategy(
  rt: Runtime,
  threadId: string,
  graphId: string,
  req: RunRequest,
  strategy: MultitaskStrategy,
): Promise<StrategyStart> {
  if (strategy === "reject") return { ...(await rt.runs.start(threadId, graphId, req)), multitask: null };
  if (!(await busy(rt, threadId))) {
    try {
      return { ...(await rt.runs.start(threadId, graphId, req)), multitask: null };
    } catch (err) {
      if (!isThreadBusy(err)) throw err; // a run started meanwhile: the strategy applies
    }
  }
  if (strategy === "enqueue") return { ...rt.queue.enqueue(threadId, graphId, req), multitask: { strategy, stoppedRunId: null } };

  const stoppedRunId = await stopCurrent(rt, threadId);
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
  return { ...(await rt.runs.start(threadId, graphId, request)), multitask: outcome };
}

async function busy(rt: Runtime, threadId: string): Promise<boolean> {
  if (rt.runs.activeRun(threadId)) return true;
  return (await rt.store.getThread(threadId)).status === "running";
}

/**
 * Stops the thread's current run wherever it runs and resolves with its id once it has stopped (null when nothing
 * was running any more, or its server had died and it was cancelled here under its lock).
 */
export async function stopCurrent(rt: Runtime, threadId: string): Promise<string | null> {
  const local = rt.runs.activeRun(threadId);
  if (local) {
    await rt.runs.cancel(threadId);
    return local.runId;
  }
  if ((await rt.store.getThread(threadId)).status !== "running") return null;
  if (rt.cluster.live) {
    const runId = await cancelElsewhere(rt.cluster, rt.store, threadId);
    if (runId) return runId;
  }
  // No live instance answered: its server died (or the pub/sub is down). Cancel it here under its lock; a live
  // process still holding the lock makes this a 409 (cancel.ts), and nothing has been changed.
  try {
    await cancelOrphan(rt, threadId);
  } catch (err) {
    if (!isNoActiveRun(err)) throw err;
  }
  return null;
}

/** Sends a cancel over the pub/sub; resolves with the stopped run's id, or null when no instance claimed it in time. */
function cancelElsewhere(cluster: Cluster, store: CheckpointStore, threadId: string): Promise<string | null> {
  const requestId = uuidv7();
  return new Promise<string | null>((resolve) => {
    let acked: string | null = null;
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    const finish = (runId: string | null) => {
      off();
      clearTimeout(timer);
      clearInterval(poll);
      resolve(runId);
    };
    const off = cluster.subscribe(threadId, (n) => {
      if (n.kind === "cancel_ack" && n.requestId === requestId && acked === null) {
        acked = n.runId;
        clearTimeout(timer);
        timer = setTimeout(() => finish(acked), STOP_MS);
        // The `cancelled` note is the fast path; the thread leaving "running" is the same news if a note is lost.
        poll = setInterval(() => {
          store.getThread(threadId).then(
            (t) => t.status !== "running" && finish(acked),
            () => {},
          );
        }, 500);
      } else if (n.kind === "cancelled" && n.requestId === requestId) finish(n.runId);
    });
    timer = setTimeout(() => finish(null), ACK_MS);
    void cluster.send({ kind: "cancel", threadId, requestId }).then((sent) => !sent && finish(null));
  });
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
