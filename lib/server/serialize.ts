import "server-only";
import type { Checkpoint, ThreadInfo } from "../checkpoint/types";

/**
 * The API's shapes for checkpoints and threads (the store's field names are internal: `state` is served as
 * `values`, `id` as `checkpointId`, `timestamp` as `createdAt`).
 */
export interface ApiCheckpoint {
  checkpointId: string;
  threadId: string;
  parentId: string | null;
  version: number;
  step: number;
  nodeName: string;
  next: string[];
  values?: Record<string, unknown>;
  interrupts: Checkpoint["interrupts"];
  pendingWrites?: Checkpoint["pendingWrites"];
  metadata: Record<string, unknown>;
  createdAt: string;
}

/**
 * `summary` drops the state values and the write values (for long timelines) but keeps which channels each
 * step wrote, who edited and why.
 */
export function apiCheckpoint(cp: Checkpoint, fields: "full" | "summary" = "full"): ApiCheckpoint {
  const base = {
    checkpointId: cp.id,
    threadId: cp.threadId,
    parentId: cp.parentId,
    version: cp.version,
    step: cp.step,
    nodeName: cp.nodeName,
    next: cp.next,
    interrupts: cp.interrupts,
    createdAt: cp.timestamp,
  };
  if (fields === "full") return { ...base, values: cp.state, pendingWrites: cp.pendingWrites, metadata: cp.metadata };
  const { writes, ...meta } = cp.metadata;
  const written = Array.isArray(writes) ? writes.map((w) => ({ node: w.node, channel: w.channel })) : [];
  return { ...base, metadata: { ...meta, writes: written } };
}

export interface ApiThread {
  threadId: string;
  graphId: string | null;
  status: ThreadInfo["status"];
  headCheckpointId: string | null;
  checkpointCount: number;
  interrupts: Checkpoint["interrupts"];
  error: { node: string | null; message: string; checkpointId: string | null; at: string } | null;
  metadata: Record<string, unknown>;
  activeRun: { runId: string; startedAt: string } | null;
  createdAt: string;
  updatedAt: string;
}

export function apiThread(t: ThreadInfo, head: Checkpoint | null, activeRun: ApiThread["activeRun"]): ApiThread {
  return {
    threadId: t.threadId,
    graphId: t.graphId,
    status: t.status,
    headCheckpointId: t.headCheckpointId,
    checkpointCount: t.checkpointCount,
    interrupts: t.status === "interrupted" && head ? head.interrupts : [],
    error: t.error,
    metadata: t.metadata,
    activeRun,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}
