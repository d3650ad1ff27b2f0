import "server-only";
import { WaypointError, isThreadBusy } from "../errors";
import type { Checkpoint, ThreadInfo } from "../checkpoint/types";
import { withThreadLock } from "../engine/thread-lock";
import type { RunInfo } from "./runs";
import type { Runtime } from "./runtime";
import { errFields, log } from "./log";

/**
 * Fork-and-run as one request (threads.ts forkThread). The semantics at an interrupt: a checkpoint waiting for
 * a decision is forked as it is — the fork waits at the same interrupt and the reviewer decides there — so
 * "run it" is refused before anything is written; "Re-run <node>" (a run from the checkpoint before the
 * interrupt) is how to be asked again.
 */
export function refuseRunAtDecision(cp: Checkpoint): void {
  const waiting = cp.interrupts.find((i) => i.kind === "dynamic" && cp.next.includes(i.node));
  if (waiting)
    throw new WaypointError(
      "DECISION_REQUIRED",
      `v${cp.version} is waiting for a decision at "${waiting.node}", so its fork cannot run on its own: fork without running it and ` +
        `decide on the fork's review panel, or re-run "${waiting.node}" from the checkpoint before it.`,
      { node: waiting.node, checkpointId: cp.id },
    );
}

/**
 * Starts the fork's run; when the start is refused, the fork is removed again (its new thread, or the branch
 * checkpoint with the thread's previous status) before the refusal is passed on. Under the thread's lock, so a
 * fork another run has meanwhile continued from is never removed from under it.
 */
export async function runFork(
  rt: Runtime,
  graphId: string,
  source: ThreadInfo,
  fork: Checkpoint,
  actorMeta: Record<string, unknown>,
): Promise<RunInfo> {
  try {
    return (await rt.runs.start(fork.threadId, graphId, { input: null, checkpointId: fork.id, metadata: actorMeta })).run;
  } catch (err) {
    await undoFork(rt, source, fork).catch((undo: unknown) =>
      log().error({ threadId: fork.threadId, checkpointId: fork.id, ...errFields(undo) }, "a fork stays after its run was refused"),
    );
    throw err;
  }
}

async function undoFork(rt: Runtime, source: ThreadInfo, fork: Checkpoint): Promise<void> {
  try {
    await withThreadLock(rt.store, fork.threadId, rt.graphs.lockTtlMs, async () => {
      if (fork.threadId !== source.threadId) return rt.store.clear(fork.threadId);
      await rt.store.delete(fork.id);
      await rt.store.updateThread(source.threadId, { status: source.status, error: source.error });
    });
  } catch (err) {
    // Another run holds the thread: it may be continuing from the fork, which then stays (it is in use).
    if (!isThreadBusy(err)) throw err;
  }
}
