/**
 * The HTTP API's JSON shapes, shared by the server (lib/server/serialize.ts builds them) and the dashboard
 * (lib/client reads them). Types only: importing this file brings no server code into the browser bundle.
 * The store's internal names differ: a checkpoint's `state` is served as `values`, `id` as `checkpointId`,
 * `timestamp` as `createdAt`.
 */
import type { CheckpointSource, PendingInterrupt, PendingWrite, ThreadStatus } from "./checkpoint/types";

export type { ThreadStatus };
export const THREAD_STATUSES: ThreadStatus[] = ["idle", "running", "interrupted", "done", "error"];

/** A pending interrupt; `fields=summary` listings leave out its `value`. */
export type ApiInterrupt = Omit<PendingInterrupt, "value"> & { value?: unknown };

/** One write of a step; summaries carry only `channel`. */
export interface ApiWrite {
  node?: string;
  channel: string;
  value?: unknown;
}

// Restated, not Omit<CheckpointMetadata, "writes">: Omit keeps only the index signature of such a type.
export interface ApiCheckpointMeta {
  source: CheckpointSource;
  writes: ApiWrite[];
  actor?: string;
  reason?: string;
  forkedFrom?: { threadId: string; checkpointId: string };
  [key: string]: unknown;
}

export interface ApiCheckpoint {
  checkpointId: string;
  threadId: string;
  parentId: string | null;
  version: number;
  step: number;
  nodeName: string;
  next: string[];
  /** Absent in `fields=summary` listings. */
  values?: Record<string, unknown>;
  interrupts: ApiInterrupt[];
  pendingWrites?: PendingWrite[];
  metadata: ApiCheckpointMeta;
  createdAt: string;
}

export interface ApiThread {
  threadId: string;
  graphId: string | null;
  status: ThreadStatus;
  headCheckpointId: string | null;
  headVersion: number;
  checkpointCount: number;
  interrupts: ApiInterrupt[];
  error: { node: string | null; message: string; checkpointId: string | null; at: string } | null;
  metadata: Record<string, unknown>;
  activeRun: { runId: string; startedAt: string } | null;
  /** Present while the thread waits at a node that needs several approvals. */
  quorum?: ApiQuorum;
  createdAt: string;
  updatedAt: string;
}

/** Two-person approval at the thread's interrupt: who approved so far, and how many are needed. */
export interface ApiQuorum {
  node: string;
  checkpointId: string;
  required: number;
  excludeInitiator: boolean;
  /** Actor ids that may not approve (who started the thread or caused the checkpoint). */
  initiators: string[];
  approvals: { actorId: string; name: string; at: string }[];
}
