/**
 * The HTTP API's shapes as the dashboard sees them: checkpoints and threads come from lib/api-types.ts (shared
 * with the server, types only); graph, diff and command shapes are the dashboard's own view.
 */
export { THREAD_STATUSES } from "../api-types";
export type {
  ApiCheckpoint as Checkpoint,
  ApiCheckpointMeta as CheckpointMeta,
  ApiInterrupt as PendingInterrupt,
  ApiThread as Thread,
  ApiThreadStorage as ThreadStorage,
  ApiWrite as ChannelWrite,
  ThreadStatus,
} from "../api-types";
import type { ApiCheckpoint as Checkpoint, ApiInterrupt as PendingInterrupt } from "../api-types";

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

export type { RunCommand } from "../api/requests";

export type { ApiQuorum as Quorum } from "../api-types";

export type { Role as RoleName, Action as ActionName } from "../auth/roles";
export type { ApiMe as Me, ApiUser as UserRecord, ApiToken as TokenRecord, ApiAuditEntry as AuditEntry } from "../api-types";
