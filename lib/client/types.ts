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

export interface RunCommand {
  resume?: unknown;
  update?: Record<string, unknown>;
  goto?: string | string[];
}

export type { ApiQuorum as Quorum } from "../api-types";

export type RoleName = "viewer" | "reviewer" | "operator" | "admin";
export type ActionName = "read" | "decide" | "edit" | "fork" | "run" | "delete" | "admin";

/** GET /api/me: who is signed in and what they may do (the dashboard shows only those actions). */
export interface Me {
  kind: "user" | "token" | "admin-token";
  userId: string | null;
  name: string;
  email: string | null;
  role: RoleName;
  graphs: string[] | null;
  actions: ActionName[];
  sso: { name: string } | null;
}

export interface UserRecord {
  id: string;
  name: string;
  email: string;
  role: RoleName;
  graphs: string[] | null;
  disabled: boolean;
  createdAt: string;
  sso: boolean;
}

export interface TokenRecord {
  id: string;
  name: string;
  prefix: string;
  role: RoleName;
  graphs: string[] | null;
  userId: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  actorId: string | null;
  actorName: string;
  actorKind: string;
  action: string;
  outcome: string;
  threadId: string | null;
  graphId: string | null;
  checkpointBefore: string | null;
  checkpointAfter: string | null;
  reason: string | null;
  detail: unknown;
  ip: string | null;
  userAgent: string | null;
}
