import { checkpointNotFound, threadNotFound } from "../errors";
import { assertSafeId } from "../checkpoint/ids";
import type { Checkpoint, CheckpointStore } from "../checkpoint/types";

/**
 * A checkpoint of `threadId`: the given one (CHECKPOINT_NOT_FOUND also when it belongs to another thread) or,
 * without an id, the thread's latest (THREAD_NOT_FOUND when it has none). Ids are checked before any read.
 * Shared by Waypoint's engine and the server's LangGraph.js runner.
 */
export async function threadCheckpoint(store: CheckpointStore, threadId: string, checkpointId?: string): Promise<Checkpoint> {
  assertSafeId(threadId, "thread");
  if (checkpointId === undefined) {
    const latest = await store.latest(threadId);
    if (!latest) throw threadNotFound(threadId);
    return latest;
  }
  assertSafeId(checkpointId, "checkpoint");
  const cp = await store.load(checkpointId);
  if (cp.threadId !== threadId) throw checkpointNotFound(checkpointId);
  return cp;
}
