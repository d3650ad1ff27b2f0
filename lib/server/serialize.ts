import "server-only";
import { toSummary } from "../checkpoint/summary";
import type { Checkpoint, CheckpointSummary, ThreadInfo, ThreadStorage } from "../checkpoint/types";
import { langGraphView } from "./runnable/lg-view";
import type { ApiCheckpoint, ApiCheckpointMeta, ApiThread, ApiThreadStorage } from "../api/responses";

export type { ApiCheckpoint, ApiThread };

/**
 * The API's shapes for checkpoints and threads (the store's field names are internal: `state` is served as
 * `values`, `id` as `checkpointId`, `timestamp` as `createdAt`).
 */

/**
 * `summary` is what a long timeline needs: no state values, no write values, no interrupt payloads — only which
 * channels the step wrote, who edited and why. It is built from the store's `CheckpointSummary`, which
 * `listSummaries` reads without touching states.
 */
export function apiCheckpoint(stored: Checkpoint, fields: "full" | "summary" = "full"): ApiCheckpoint {
  // A LangGraph.js checkpoint is served with its next nodes and interrupts derived (lg-view.ts); others as stored.
  const cp = langGraphView(stored);
  if (fields === "summary") return apiSummary(toSummary(cp));
  return {
    checkpointId: cp.id,
    threadId: cp.threadId,
    parentId: cp.parentId,
    version: cp.version,
    step: cp.step,
    nodeName: cp.nodeName,
    next: cp.next,
    interrupts: cp.interrupts,
    createdAt: cp.timestamp,
    values: cp.state,
    pendingWrites: cp.pendingWrites,
    metadata: cp.metadata as ApiCheckpointMeta,
  };
}

export function apiSummary(s: CheckpointSummary): ApiCheckpoint {
  return {
    checkpointId: s.id,
    threadId: s.threadId,
    parentId: s.parentId,
    version: s.version,
    step: s.step,
    nodeName: s.nodeName,
    next: s.next,
    interrupts: s.interrupts,
    createdAt: s.timestamp,
    metadata: {
      source: s.source,
      ...(s.actor !== null && { actor: s.actor }),
      ...(s.reason !== null && { reason: s.reason }),
      writes: s.channels.map((channel) => ({ channel })),
      // Absent from summaries kept before these fields existed.
      ...(typeof s.durationMs === "number" && { durationMs: s.durationMs }),
      ...((s.failedAttempts ?? []).length > 0 && { failedAttempts: s.failedAttempts }),
    },
  };
}

/** `head`: the head checkpoint, or its summary (interrupts without their values) where a list needs no more. */
export function apiThread(
  t: ThreadInfo,
  head: Pick<Checkpoint, "interrupts"> | { interrupts: ApiThread["interrupts"] } | null,
  activeRun: ApiThread["activeRun"],
): ApiThread {
  return {
    threadId: t.threadId,
    graphId: t.graphId,
    status: t.status,
    headCheckpointId: t.headCheckpointId,
    headVersion: t.headVersion,
    checkpointCount: t.checkpointCount,
    interrupts: t.status === "interrupted" && head ? head.interrupts : [],
    error: t.error,
    metadata: t.metadata,
    activeRun,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/** A thread's storage report as served, with the store kind it was measured on. */
export function apiStorage(s: ThreadStorage, backend: string): ApiThreadStorage {
  return {
    threadId: s.threadId,
    backend,
    bytes: s.bytes,
    checkpoints: s.checkpoints,
    snapshots: s.snapshots,
    deltas: s.deltas,
    largest: s.largest.map((r) => ({ checkpointId: r.id, version: r.version, step: r.step, bytes: r.bytes, snapshot: r.snapshot })),
  };
}
