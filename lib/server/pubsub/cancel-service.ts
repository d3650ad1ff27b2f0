import "server-only";
import type { RunManager } from "../runs";
import type { Cluster } from "./cluster";
import { errFields, log } from "../log";

/**
 * The runner's side of a cancel sent over the pub/sub (multitask `interrupt` / `rollback` asked on another
 * instance): the instance that runs the thread acknowledges at once, stops the run the way a local cancel does
 * (the engine discards the step in flight; the thread stays at its last checkpoint), then says it stopped.
 * Instances that do not run the thread stay silent.
 */
export function serveCancels(cluster: Cluster, runs: RunManager): () => void {
  return cluster.subscribeAll((note) => {
    if (note.kind !== "cancel") return;
    const active = runs.activeRun(note.threadId);
    if (!active || active.status === "pending") return;
    const { threadId, requestId } = note;
    void (async () => {
      await cluster.send({ kind: "cancel_ack", threadId, requestId, runId: active.runId });
      const ended = await runs.cancel(threadId);
      await cluster.send({ kind: "cancelled", threadId, requestId, runId: active.runId, run: ended });
    })().catch((err) => log().error({ threadId, ...errFields(err) }, "cancelling a run for another instance failed"));
  });
}
