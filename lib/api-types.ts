/**
 * The HTTP API's JSON shapes, shared by the server (lib/server/serialize.ts builds them) and the dashboard
 * (lib/client reads them). Types only: importing this file brings no server code into the browser bundle.
 * The store's internal names differ: a checkpoint's `state` is served as `values`, `id` as `checkpointId`,
 * `timestamp` as `createdAt`.
 */
import {
  THREAD_STATUSES as ALL_STATUSES,
  type CheckpointSource,
  type PendingInterrupt,
  type PendingWrite,
  type ThreadStatus,
} from "./checkpoint/types";
import type { GraphStructure } from "./engine/types";
import type { Action, Role } from "./auth/roles";

export type { ThreadStatus };
export const THREAD_STATUSES: readonly ThreadStatus[] = ALL_STATUSES;

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

/** GET /api/graphs (as `{ graphs: [...] }`) and GET /api/graphs/:id. */
export interface ApiGraph {
  graphId: string;
  title: string;
  description: string;
  exampleInput: Record<string, unknown>;
  failureHint: string;
  structure: GraphStructure;
}

/** POST /api/threads/:id/state and /fork: the new checkpoint and its thread. */
export interface ApiCheckpointResult {
  checkpoint: ApiCheckpoint;
  thread: ApiThread;
}

/** GET /api/threads/:id/checkpoints/:cid/diff. */
export interface ApiDiff {
  checkpointId: string;
  againstId: string | null;
  changes: { path: (string | number)[]; type: "create" | "remove" | "change"; before?: unknown; after?: unknown }[];
}

/**
 * GET /api/threads/:id/storage: what the thread's checkpoints occupy in the store (`backend`). `bytes` are the
 * UTF-8 bytes of the text the store keeps for each checkpoint (state or delta, metadata, ids...), without
 * indexes or page overhead; see docs/storage.md for what each backend counts.
 */
export interface ApiThreadStorage {
  threadId: string;
  /** The store kind: "sqlite" | "postgres" | "redis" | "file" | "memory". */
  backend: string;
  bytes: number;
  checkpoints: number;
  /** Checkpoints stored whole. */
  snapshots: number;
  /** Checkpoints stored as changes against an ancestor. */
  deltas: number;
  /** The largest checkpoints, largest first (at most 10). */
  largest: { checkpointId: string; version: number; step: number; bytes: number; snapshot: boolean }[];
}

/** The server-sent events of GET /api/threads/:id/events (the event name is `type`). */
export type ThreadEvent =
  | { type: "run_started"; threadId: string; runId: string }
  | { type: "checkpoint"; threadId: string; checkpoint: ApiCheckpoint }
  | { type: "interrupt"; threadId: string; interrupts: ApiInterrupt[]; checkpointId: string }
  | { type: "error"; threadId: string; error: unknown }
  /** What a node sent with `ctx.emit` (the LangGraph protocol streams it; the dashboard ignores it). */
  | { type: "custom"; threadId: string; node: string; data: unknown }
  | { type: "run_ended"; threadId: string; runId: string; status: string }
  | { type: "thread_updated"; threadId: string; reason: "edit" | "fork" | "deleted" | "cancel" };

/** Every event name the stream sends: `thread` (the thread's view, first and whenever it changed) and the above. */
export const THREAD_EVENT_NAMES = ["thread", "run_started", "checkpoint", "interrupt", "error", "run_ended", "thread_updated"] as const;

// ---- accounts ----

/** GET /api/me: who is calling and what they may do (the dashboard shows only those actions). */
export interface ApiMe {
  kind: "user" | "token" | "admin-token";
  userId: string | null;
  name: string;
  email: string | null;
  role: Role;
  graphs: string[] | null;
  actions: Action[];
  sso: { name: string } | null;
}

export interface ApiUser {
  id: string;
  name: string;
  email: string;
  role: Role;
  graphs: string[] | null;
  disabled: boolean;
  createdAt: string;
  /** Has signed in through single sign-on. */
  sso: boolean;
}

/** An API token as listed: never its secret. */
export interface ApiToken {
  id: string;
  name: string;
  /** The token's first characters, to recognise it. */
  prefix: string;
  role: Role;
  graphs: string[] | null;
  userId: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Every action the audit trail records (lib/server/auth/audit.ts writes them; the Audit page filters by them). */
export const AUDIT_ACTIONS = [
  "decide",
  "approve_partial",
  "edit_state",
  "fork",
  "run_start",
  "run_resume",
  "run_retry",
  "run_cancel",
  "thread_create",
  "thread_delete",
  "sign_in",
  "sign_in_failed",
  "sign_out",
  "password_change",
  "first_admin",
  "token_create",
  "token_revoke",
  "user_create",
  "user_update",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface ApiAuditEntry {
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
