import "server-only";
import { v7 as uuidv7 } from "uuid";
import { isNoActiveRun } from "../errors";
import type { CheckpointStore } from "../checkpoint/types";
import type { Cluster } from "./pubsub/cluster";
import type { RunInfo } from "./runs";
import type { Runtime } from "./runtime";
import { cancelOrphan } from "./cancel-orphan";

/**
 * Stopping a thread's run wherever it runs: in this process (its signal), in another live server sharing the store
 * (a cancel over the store's pub/sub, answered by that server: pubsub/cancel-service.ts), or — no live server
 * claims it — under its lock, when its server died (cancel-orphan.ts; a live process still holding the lock makes
 * that a 409 and nothing is changed). Used by the cancel route and the multitask strategies.
 */
export interface Stopped {
  /** The stopped run's id; null when it ran in a server that had died (or nothing ran any more). */
  runId: string | null;
  /** How it ended, when known (it ran here, or its server said so). */
  run: RunInfo | null;
}

/** How long an instance that runs the thread has to acknowledge a cancel sent over the pub/sub. */
const ACK_MS = 2_000;
/** How long an acknowledged cancel may take before we give up waiting (the step in flight is discarded, so this is short). */
const STOP_MS = 30_000;

/** Stops the thread's run, if any, wherever it runs; resolves once it has stopped. */
export async function stopCurrent(rt: Runtime, threadId: string): Promise<Stopped> {
  const local = rt.runs.activeRun(threadId);
  if (local) return { runId: local.runId, run: await rt.runs.cancel(threadId) };
  if ((await rt.store.getThread(threadId)).status !== "running") return { runId: null, run: null };
  try {
    return await stopElsewhere(rt, threadId);
  } catch (err) {
    if (isNoActiveRun(err)) return { runId: null, run: null }; // it ended meanwhile
    throw err;
  }
}

/** A "running" thread this process does not run: asks the server that runs it, else cancels it as an orphan. */
export async function stopElsewhere(rt: Runtime, threadId: string): Promise<Stopped> {
  if (rt.cluster.live) {
    const stopped = await cancelElsewhere(rt.cluster, rt.store, threadId);
    if (stopped) return stopped;
  }
  await cancelOrphan(rt, threadId);
  return { runId: null, run: null };
}

/** Sends a cancel over the pub/sub; resolves once the run stopped, or null when no instance claimed it in time. */
function cancelElsewhere(cluster: Cluster, store: CheckpointStore, threadId: string): Promise<Stopped | null> {
  const requestId = uuidv7();
  return new Promise<Stopped | null>((resolve) => {
    let acked: string | null = null;
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    const finish = (stopped: Stopped | null) => {
      off();
      clearTimeout(timer);
      clearInterval(poll);
      resolve(stopped);
    };
    const off = cluster.subscribe(threadId, (n) => {
      if (n.kind === "cancel_ack" && n.requestId === requestId && acked === null) {
        const runId = n.runId;
        acked = runId;
        clearTimeout(timer);
        timer = setTimeout(() => finish({ runId, run: null }), STOP_MS);
        // The `cancelled` note is the fast path; the thread leaving "running" is the same news if a note is lost.
        poll = setInterval(() => {
          store.getThread(threadId).then(
            (t) => t.status !== "running" && finish({ runId, run: null }),
            () => {},
          );
        }, 500);
      } else if (n.kind === "cancelled" && n.requestId === requestId) finish({ runId: n.runId, run: n.run });
    });
    timer = setTimeout(() => finish(null), ACK_MS);
    void cluster.send({ kind: "cancel", threadId, requestId }).then((sent) => !sent && finish(null));
  });
}
