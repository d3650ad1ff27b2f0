import "server-only";
import type { ThreadEvent } from "../events";
import type { Runtime } from "../runtime";
import { apiCheckpoint } from "../serialize";
import { errFields, log } from "../log";

/**
 * For one thread's event stream: turns other instances' notes (cluster.ts) into the same events this instance's bus
 * sends, reading from the store what a note only names (the checkpoint's summary, the interrupts), in the order
 * the notes came. `refresh` re-reads the thread's view and sends it if it changed (status, head, ...).
 */
export function followOtherInstances(
  rt: Runtime,
  threadId: string,
  send: (type: string, data: ThreadEvent) => void,
  refresh: () => Promise<void>,
): () => void {
  let chain: Promise<void> = Promise.resolve();
  const off = rt.cluster.subscribe(threadId, (note) => {
    chain = chain
      .then(async () => {
        switch (note.kind) {
          case "checkpoint": {
            const cp = await rt.store.load(note.checkpointId);
            send("checkpoint", { type: "checkpoint", threadId, checkpoint: apiCheckpoint(cp, "summary") });
            break;
          }
          case "interrupt": {
            const cp = await rt.store.load(note.checkpointId);
            send("interrupt", { type: "interrupt", threadId, interrupts: cp.interrupts, checkpointId: cp.id });
            break;
          }
          case "run_started":
            send("run_started", { type: "run_started", threadId, runId: note.runId });
            break;
          case "run_ended":
            send("run_ended", { type: "run_ended", threadId, runId: note.runId, status: note.status });
            break;
          case "thread_updated":
            send("thread_updated", { type: "thread_updated", threadId, reason: note.reason });
            break;
          case "error":
            break; // the refreshed view carries the error
          default:
            return; // cancels between instances: not for pages
        }
        await refresh();
      })
      .catch((err) => log().debug({ threadId, ...errFields(err) }, "a note from another instance could not be followed"));
  });
  return off;
}
