/**
 * The HTTP API's shapes as the dashboard sees them (mirrors lib/server/serialize.ts; kept separate so no
 * server code reaches the browser bundle).
 */
export type ThreadStatus = "idle" | "running" | "interrupted" | "done" | "error";
export const THREAD_STATUSES: ThreadStatus[] = ["idle", "running", "interrupted", "done", "error"];

export interface PendingInterrupt {
  id: string;
  node: string;
  kind: "dynamic" | "before" | "after";
  value: unknown;
}

/** In `fields=summary` listings only `channel` is present. */
export interface ChannelWrite {
  node?: string;
  channel: string;
  value?: unknown;
}

export interface CheckpointMeta {
  source: "input" | "loop" | "update" | "fork";
  writes: ChannelWrite[];
  actor?: string;
  reason?: string;
  forkedFrom?: { threadId: string; checkpointId: string };
  [key: string]: unknown;
}

export interface Checkpoint {
  checkpointId: string;
  threadId: string;
  parentId: string | null;
  version: number;
  step: number;
  nodeName: string;
  next: string[];
  /** Absent in `fields=summary` listings. */
  values?: Record<string, unknown>;
  interrupts: PendingInterrupt[];
  metadata: CheckpointMeta;
  createdAt: string;
}

export interface Thread {
  threadId: string;
  graphId: string | null;
  status: ThreadStatus;
  headCheckpointId: string | null;
  headVersion?: number;
  checkpointCount?: number;
  interrupts: PendingInterrupt[];
  error: { node: string | null; message: string; checkpointId?: string | null; at?: string } | null;
  metadata: Record<string, unknown>;
  activeRun?: { runId: string; startedAt: string } | null;
  createdAt: string;
  updatedAt: string;
}

export interface GraphSummary {
  graphId: string;
  title?: string;
  description?: string;
  exampleInput?: Record<string, unknown>;
  failureHint?: string;
  [key: string]: unknown;
}

export interface GraphDetail extends GraphSummary {
  nodes: { id: string; description?: string }[];
  edges: { source: string; target: string; conditional: boolean; label?: string }[];
  channels?: { name: string; reducer: string; description?: string }[];
  interruptBefore: string[];
  interruptAfter: string[];
}

export interface StateSnapshot {
  values: Record<string, unknown>;
  next: string[];
  interrupts: PendingInterrupt[];
  checkpoint?: Checkpoint;
  [key: string]: unknown;
}

export interface DiffEntry {
  path: (string | number)[] | string;
  before?: unknown;
  after?: unknown;
  kind: "added" | "removed" | "changed" | string;
}

export interface RunCommand {
  resume?: unknown;
  update?: Record<string, unknown>;
  goto?: string | string[];
}
