import "server-only";
import type { CheckpointStore } from "../../checkpoint/types";

/**
 * Run records of the LangGraph protocol (`Run`: id, thread, assistant, status, times, metadata, strategy).
 *
 * Where they live: in the thread's own record, under one reserved metadata key. Why there and not in a new
 * store method: thread metadata is free-form JSON that all five backends already persist and share between
 * servers (so `GET /runs/:id` agrees on every server using one PostgreSQL or Redis), deleting a thread deletes
 * its runs with it, and no backend, migration or conformance suite had to change. The cost: a read-modify-write
 * of the metadata per status change. One thread has at most one active run, so the run's own writes never race;
 * a metadata PATCH racing a status change could lose one of the two (the protocol's PATCH merges, records.ts
 * re-reads right before writing, so the window is one store round trip). Two runs' records do race when a
 * multitask strategy starts a run on another server the moment the previous one ends (its final status and the new
 * run's record written at once): each write is therefore checked once shortly after (`recheck`) and made again if
 * a concurrent rewrite of the list dropped it. The protocol hides the key from
 * `metadata`; the native API shows it as is. Only the newest MAX_RUNS records are kept per thread.
 */
export const RUNS_KEY = "langgraph_runs";
const MAX_RUNS = 50;

export type LgRunStatus = "pending" | "running" | "success" | "error" | "timeout" | "interrupted";

export interface RunRecord {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  created_at: string;
  updated_at: string;
  status: LgRunStatus;
  metadata: Record<string, unknown>;
  multitask_strategy: string | null;
  kwargs: Record<string, unknown>;
  cancel_reason?: string | null;
}

function recordsOf(meta: Record<string, unknown>): RunRecord[] {
  const list = meta[RUNS_KEY];
  return Array.isArray(list) ? (list as RunRecord[]) : [];
}

/** Newest first. */
export async function listRuns(store: CheckpointStore, threadId: string): Promise<RunRecord[]> {
  const t = await store.getThread(threadId);
  return [...recordsOf(t.metadata)].reverse();
}

export async function getRun(store: CheckpointStore, threadId: string, runId: string): Promise<RunRecord | null> {
  return (await listRuns(store, threadId)).find((r) => r.run_id === runId) ?? null;
}

/** Adds a record, or merges `patch` into the one with its id. */
export async function putRun(store: CheckpointStore, rec: RunRecord, recheckAfterMs = RECHECK_MS): Promise<RunRecord> {
  const t = await store.getThread(rec.thread_id);
  const list = recordsOf(t.metadata).filter((r) => r.run_id !== rec.run_id);
  list.push(rec);
  await store.updateThread(rec.thread_id, { metadata: { ...t.metadata, [RUNS_KEY]: list.slice(-MAX_RUNS) } });
  recheck(store, rec.thread_id, rec.run_id, rec.updated_at, recheckAfterMs, (cur) =>
    cur === undefined ? putRun(store, rec, 0) : Promise.resolve(null),
  );
  return rec;
}

/** How long after a write it is checked (longer than a store round trip, so a racing rewrite has landed). */
const RECHECK_MS = 150;

/**
 * Re-reads a record once, `ms` later, and calls `redo` when a concurrent rewrite dropped our write: the record is
 * missing, or older than the write (an `updated_at` before ours). A later write of its own is left alone.
 */
function recheck(
  store: CheckpointStore,
  threadId: string,
  runId: string,
  stamp: string,
  ms: number,
  redo: (current: RunRecord | undefined) => Promise<unknown>,
) {
  if (ms <= 0) return;
  setTimeout(() => {
    getRun(store, threadId, runId)
      .then((cur) => (!cur || cur.updated_at < stamp ? redo(cur ?? undefined) : null))
      .catch(() => {}); // the thread is gone, or the store is down: nothing to repair
  }, ms).unref?.();
}

export async function patchRun(
  store: CheckpointStore,
  threadId: string,
  runId: string,
  patch: Partial<RunRecord>,
  recheckAfterMs = RECHECK_MS,
): Promise<RunRecord | null> {
  const t = await store.getThread(threadId).catch(() => null);
  if (!t) return null;
  const list = recordsOf(t.metadata);
  const i = list.findIndex((r) => r.run_id === runId);
  if (i < 0) return null;
  list[i] = { ...list[i], ...patch, updated_at: new Date().toISOString() };
  await store.updateThread(threadId, { metadata: { ...t.metadata, [RUNS_KEY]: list } });
  recheck(store, threadId, runId, list[i].updated_at, recheckAfterMs, (cur) =>
    cur ? patchRun(store, threadId, runId, patch, 0) : Promise.resolve(null),
  );
  return list[i];
}

export async function deleteRun(store: CheckpointStore, threadId: string, runId: string): Promise<boolean> {
  const t = await store.getThread(threadId);
  const list = recordsOf(t.metadata);
  const kept = list.filter((r) => r.run_id !== runId);
  if (kept.length === list.length) return false;
  await store.updateThread(threadId, { metadata: { ...t.metadata, [RUNS_KEY]: kept } });
  return true;
}

/** The metadata a client may set: everything but the reserved key (which it cannot overwrite). */
export function withRuns(current: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const { [RUNS_KEY]: _ignored, ...clean } = next;
  return current[RUNS_KEY] !== undefined ? { ...clean, [RUNS_KEY]: current[RUNS_KEY] } : clean;
}
