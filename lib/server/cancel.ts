import "server-only";
import { WaypointError } from "../errors";
import type { CancelRunBody } from "../api/requests";
import type { ApiCancelResult } from "../api/responses";
import type { Caller } from "./auth/caller";
import type { RunInfo } from "./runs";
import type { Runtime } from "./runtime";
import { threadView } from "./threads";
import { stopElsewhere } from "./stop-run";

/**
 * Stopping a thread's run (`POST /api/threads/:id/runs/cancel`); the `run` permission on the thread's graph.
 *
 * - The run is in this process: its signal fires, the engine discards the step in flight and ends the run
 *   "cancelled" at its last completed checkpoint; the thread is "cancelled" (or "interrupted" when that
 *   checkpoint still waits for a decision) and continues from there on the next run.
 * - The thread is "running" but no process holds its lock (its server died; recovery would continue it): the
 *   run is cancelled here, under the lock, so recovery leaves it alone.
 * - Another live server runs it (shared PostgreSQL / Redis): the cancel goes to that server over the store's pub/sub
 *   (stop-run.ts), which stops it as above and answers; this request returns once it has stopped. With the pub/sub
 *   off or down, that server cannot be reached: 409, saying so.
 * - Nothing runs: 409 NO_ACTIVE_RUN. Nothing is written and nothing is audited for a refused cancel.
 */
export async function cancelThreadRun(rt: Runtime, who: Caller, threadId: string, body: CancelRunBody): Promise<ApiCancelResult> {
  const t = await rt.store.getThread(threadId);
  who.authorize("read", t.graphId);
  who.authorize("run", t.graphId);
  const local = rt.runs.activeRun(threadId);
  let ended: RunInfo | null = null;
  let runId = local?.runId ?? null;
  if (local) ended = await rt.runs.cancel(threadId);
  else if (t.status === "running") ({ run: ended, runId } = await stopElsewhere(rt, threadId));
  else throw new WaypointError("NO_ACTIVE_RUN", `Thread "${threadId}" has no run to stop: it is ${t.status}.`, { threadId, status: t.status });
  const after = await rt.store.getThread(threadId);
  await who.audit({
    action: "run_cancel",
    threadId,
    graphId: t.graphId,
    checkpointBefore: t.headCheckpointId,
    checkpointAfter: after.headCheckpointId,
    reason: body.reason ?? null,
    detail: { runId, ended: ended?.status ?? "cancelled", status: after.status },
  });
  rt.bus.publish({ type: "thread_updated", threadId, reason: "cancel" });
  return { run: ended, thread: await threadView(rt, threadId) };
}
