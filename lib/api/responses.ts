/**
 * Every response shape of the HTTP API, written once as a zod schema; its type is `z.infer` of it. The server
 * builds them (lib/server/serialize.ts and the services), the dashboard's client reads them (lib/client), and the
 * API suite parses real answers with them (tests/api/shapes.test.ts), so a field the server stops sending or
 * starts sending undeclared fails a test instead of drifting. Plain zod, no server code: safe in the browser.
 *
 * Objects are strict (`z.strictObject`): an undeclared field is an error when a test parses an answer. Metadata
 * and state values are open records, as the user's graph defines them.
 * The store's internal names differ: a checkpoint's `state` is served as `values`, `id` as `checkpointId`,
 * `timestamp` as `createdAt`.
 */
import { z } from "zod";
import { ACTIONS, ROLES, TOKEN_SCOPES } from "../auth/roles";
import { THREAD_STATUSES } from "../checkpoint/types";
import type * as Store from "../checkpoint/types";
import type { GraphStructure } from "../engine/types";

const JsonObject = z.record(z.string(), z.unknown());
const Time = z.string().min(1);
const Cursor = z.string().nullable();

// ---- checkpoints and threads ----

export { THREAD_STATUSES };
export const ThreadStatus = z.enum(THREAD_STATUSES);
export type ThreadStatus = z.infer<typeof ThreadStatus>;

/** A pending interrupt; `fields=summary` listings leave out its `value`. */
export const ApiInterrupt = z.strictObject({
  id: z.string(),
  node: z.string(),
  kind: z.enum(["dynamic", "before", "after"]),
  value: z.unknown().optional(),
  /** The answer's JSON Schema when the interrupt itself declares one (LangGraph.js `interrupt(value, { responseSchema })`). */
  responseSchema: z.unknown().optional(),
});
export type ApiInterrupt = z.infer<typeof ApiInterrupt>;

/** One write of a step; summaries carry only `channel`. */
export const ApiWrite = z.strictObject({ node: z.string().optional(), channel: z.string(), value: z.unknown().optional() });
export type ApiWrite = z.infer<typeof ApiWrite>;

export const ApiPendingWrite = z.strictObject({ node: z.string(), channel: z.string(), value: z.unknown() });

/** A failed try of a node (see FailedAttempt in lib/checkpoint/types.ts); summaries leave out message and times. */
export const ApiFailedAttempt = z.strictObject({
  node: z.string(),
  attempt: z.number().int(),
  maxAttempts: z.number().int(),
  run: z.number().int(),
  message: z.string().optional(),
  startedAt: Time.optional(),
  durationMs: z.number().optional(),
});
export type ApiFailedAttempt = z.infer<typeof ApiFailedAttempt>;

/** Where a thread forked into another came from; `version` is absent for forks made before it was recorded. */
export const ApiForkedFrom = z.strictObject({ threadId: z.string(), checkpointId: z.string(), version: z.number().int().optional() });

/** A checkpoint's metadata: the fields Waypoint writes, plus whatever the caller added (open). */
export const ApiCheckpointMeta = z.looseObject({
  source: z.enum(["input", "loop", "update", "fork"]),
  writes: z.array(ApiWrite),
  actor: z.string().optional(),
  reason: z.string().optional(),
  forkedFrom: ApiForkedFrom.optional(),
  /** How long the step that produced it took (run-loop checkpoints). */
  durationMs: z.number().optional(),
  /** Failed tries of the step's nodes before it succeeded or was interrupted. */
  failedAttempts: z.array(ApiFailedAttempt).optional(),
});
export type ApiCheckpointMeta = z.infer<typeof ApiCheckpointMeta>;

export const ApiCheckpoint = z.strictObject({
  checkpointId: z.string(),
  threadId: z.string(),
  parentId: z.string().nullable(),
  version: z.number().int(),
  step: z.number().int(),
  nodeName: z.string(),
  next: z.array(z.string()),
  /** Absent in `fields=summary` listings. */
  values: JsonObject.optional(),
  interrupts: z.array(ApiInterrupt),
  pendingWrites: z.array(ApiPendingWrite).optional(),
  metadata: ApiCheckpointMeta,
  createdAt: Time,
});
export type ApiCheckpoint = z.infer<typeof ApiCheckpoint>;

/** Two-person approval at the thread's interrupt: who approved so far, and how many are needed. */
export const ApiQuorum = z.strictObject({
  node: z.string(),
  checkpointId: z.string(),
  required: z.number().int(),
  excludeInitiator: z.boolean(),
  /** Actor ids that may not approve (who started the thread or caused the checkpoint). */
  initiators: z.array(z.string()),
  approvals: z.array(z.strictObject({ actorId: z.string(), name: z.string(), at: Time })),
});
export type ApiQuorum = z.infer<typeof ApiQuorum>;

export const ApiThread = z.strictObject({
  threadId: z.string(),
  graphId: z.string().nullable(),
  status: ThreadStatus,
  headCheckpointId: z.string().nullable(),
  headVersion: z.number().int(),
  checkpointCount: z.number().int(),
  interrupts: z.array(ApiInterrupt),
  error: z
    .strictObject({
      node: z.string().nullable(),
      message: z.string(),
      checkpointId: z.string().nullable(),
      at: Time,
      /** Every failed try of the step, across Retries of it, oldest first. */
      attempts: z.array(ApiFailedAttempt).optional(),
    })
    .nullable(),
  metadata: JsonObject,
  activeRun: z.strictObject({ runId: z.string(), startedAt: Time }).nullable(),
  /**
   * GET /api/threads/:id only: runs queued behind the current one (multitaskStrategy "enqueue"); absent when none.
   * With workers (WAYPOINT_EXECUTE=off) every instance sees them all; otherwise the ones queued on this instance.
   */
  queuedRuns: z.number().int().positive().optional(),
  /** Present while the thread waits at a node that needs several approvals. */
  quorum: ApiQuorum.optional(),
  /** Why this server shows the thread but will not run, edit or fork it (a LangGraph.js thread of a graph it does not have). */
  readOnly: z.string().optional(),
  createdAt: Time,
  updatedAt: Time,
});
export type ApiThread = z.infer<typeof ApiThread>;

/** GET /api/threads. */
export const ApiThreadPage = z.strictObject({ threads: z.array(ApiThread), nextCursor: Cursor });
export type ApiThreadPage = z.infer<typeof ApiThreadPage>;

/**
 * GET /api/thread-counts: threads waiting for a person (up to 10,000 walked; `capped` beyond) and the oldest's wait;
 * `matching`: how many threads the list shows for the asked status / graph / query (same bound, own `capped`).
 */
export const ApiThreadCounts = z.strictObject({
  waiting: z.number().int(),
  capped: z.boolean(),
  oldestWaitingSince: Time.nullable(),
  matching: z.strictObject({ count: z.number().int(), capped: z.boolean() }),
});
export type ApiThreadCounts = z.infer<typeof ApiThreadCounts>;

/** GET /api/threads/:id/history: newest first; `nextCursor` is a version (whole thread) or a checkpoint id (a branch). */
export const ApiHistoryPage = z.strictObject({ checkpoints: z.array(ApiCheckpoint), nextCursor: Cursor });
export type ApiHistoryPage = z.infer<typeof ApiHistoryPage>;

/** GET /api/threads/:id/state: the head's (or a given checkpoint's) values; `checkpoint` null before the first run. */
export const ApiState = z.strictObject({
  values: JsonObject,
  next: z.array(z.string()),
  interrupts: z.array(ApiInterrupt),
  checkpoint: ApiCheckpoint.nullable(),
});
export type ApiState = z.infer<typeof ApiState>;

/** A run as the run manager reports it. */
export const ApiRun = z.strictObject({
  runId: z.string(),
  threadId: z.string(),
  graphId: z.string(),
  /** "pending": queued behind the thread's current run (multitaskStrategy "enqueue"); it starts once that one ends. */
  status: z.enum(["pending", "running", "done", "interrupted", "error", "cancelled"]),
  startedAt: Time,
  endedAt: Time.nullable(),
});
export type ApiRun = z.infer<typeof ApiRun>;

/** POST /api/threads/:id/state and /fork: the new checkpoint and its thread (and, for a fork with `run`, the run). */
export const ApiCheckpointResult = z.strictObject({ checkpoint: ApiCheckpoint, thread: ApiThread, run: ApiRun.optional() });
export type ApiCheckpointResult = z.infer<typeof ApiCheckpointResult>;

/** DELETE /api/threads/:id. */
export const ApiDeleted = z.strictObject({ deleted: z.literal(true), threadId: z.string() });
export type ApiDeleted = z.infer<typeof ApiDeleted>;

/**
 * POST /api/threads/:id/runs: 202 with the started run (or `run: null` and the quorum when a first approval of a
 * two-person decision was recorded), or with `wait: true` 200 with the ended run and the state.
 */
export const ApiRunResult = z.strictObject({
  run: ApiRun.nullable(),
  /** Present when the thread was busy and the request's multitaskStrategy acted (lib/server/multitask.ts). */
  multitask: z
    .strictObject({
      strategy: z.enum(["reject", "enqueue", "interrupt", "rollback"]),
      stoppedRunId: z.string().nullable(),
      rolledBackTo: z.string().nullable().optional(),
    })
    .optional(),
  quorum: ApiQuorum.optional(),
  thread: ApiThread,
  state: ApiState.optional(),
});
export type ApiRunResult = z.infer<typeof ApiRunResult>;

/** POST /api/threads/:id/runs/cancel: the stopped run (null when it ran in a server that had died) and the thread. */
export const ApiCancelResult = z.strictObject({ run: ApiRun.nullable(), thread: ApiThread });
export type ApiCancelResult = z.infer<typeof ApiCancelResult>;

/**
 * One change of a diff. "append" / "truncate": the array at `path` has `count` more / fewer items from index
 * `from` (long tails are summarised; the items are in the checkpoints' values), without before/after.
 */
export const ApiDiffChange = z.strictObject({
  path: z.array(z.union([z.string(), z.number()])),
  type: z.enum(["create", "remove", "change", "append", "truncate"]),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  count: z.number().int().optional(),
  from: z.number().int().optional(),
});
export type ApiDiffChange = z.infer<typeof ApiDiffChange>;

/**
 * GET /api/threads/:id/checkpoints/:cid/diff: from `againstId` (null: an empty state) to the checkpoint.
 * `basis`: why that one — "chosen" (`against` given), "interrupt" (the checkpoint waits at a node: the previous
 * time that node waited on its branch), "parent", or "empty" (no parent).
 */
export const ApiDiff = z.strictObject({
  checkpointId: z.string(),
  againstId: z.string().nullable(),
  againstVersion: z.number().int().nullable(),
  basis: z.enum(["chosen", "interrupt", "parent", "empty"]),
  changes: z.array(ApiDiffChange),
});
export type ApiDiff = z.infer<typeof ApiDiff>;

/**
 * GET /api/threads/:id/forks: threads forked from this one (newest first), the caller may read. Found by walking
 * the thread index (at most 10,000 threads; `capped` beyond).
 */
export const ApiForkList = z.strictObject({
  threadId: z.string(),
  forks: z.array(
    z.strictObject({
      threadId: z.string(),
      status: ThreadStatus,
      /** The source checkpoint it was forked from, and its version when recorded. */
      checkpointId: z.string(),
      version: z.number().int().nullable(),
      createdAt: Time,
    }),
  ),
  capped: z.boolean(),
});
export type ApiForkList = z.infer<typeof ApiForkList>;

/**
 * GET /api/threads/:id/storage: what the thread's checkpoints occupy in the store (`backend`). `bytes` are the
 * UTF-8 bytes of the text the store keeps for each checkpoint (state or delta, metadata, ids...), without
 * indexes or page overhead; see docs/storage.md for what each backend counts.
 */
export const ApiThreadStorage = z.strictObject({
  threadId: z.string(),
  /** The store kind: "sqlite" | "postgres" | "redis" | "file" | "memory". */
  backend: z.string(),
  bytes: z.number().int(),
  checkpoints: z.number().int(),
  /** Checkpoints stored whole. */
  snapshots: z.number().int(),
  /** Checkpoints stored as changes against an ancestor. */
  deltas: z.number().int(),
  /** The largest checkpoints, largest first (at most 10). */
  largest: z.array(
    z.strictObject({ checkpointId: z.string(), version: z.number().int(), step: z.number().int(), bytes: z.number().int(), snapshot: z.boolean() }),
  ),
});
export type ApiThreadStorage = z.infer<typeof ApiThreadStorage>;

// ---- graphs ----

export const ApiGraphStructure = z.strictObject({
  graphId: z.string().nullable(),
  /** `resume`: JSON Schema of the value that answers the node's interrupt (the dashboard draws its decision panel from it). */
  nodes: z.array(z.strictObject({ id: z.string(), description: z.string().optional(), resume: JsonObject.optional() })),
  edges: z.array(z.strictObject({ source: z.string(), target: z.string(), conditional: z.boolean(), label: z.string().optional() })),
  /** `schema`: the channel's JSON Schema (the state-edit form is drawn from it); `internal`: left out of that form. */
  channels: z.array(
    z.strictObject({
      name: z.string(),
      reducer: z.enum(["last-value", "append", "custom"]),
      description: z.string().optional(),
      schema: JsonObject.optional(),
      internal: z.boolean().optional(),
    }),
  ),
  interruptBefore: z.array(z.string()),
  interruptAfter: z.array(z.string()),
});

/** GET /api/graphs/:id (and each item of GET /api/graphs). */
export const ApiGraph = z.strictObject({
  graphId: z.string(),
  title: z.string(),
  description: z.string(),
  exampleInput: JsonObject,
  failureHint: z.string(),
  /** The channels that say how far a run has got (GraphSpec.progress), when the graph declares them. */
  progress: z.strictObject({ done: z.string(), total: z.string() }).optional(),
  structure: ApiGraphStructure,
});
export type ApiGraph = z.infer<typeof ApiGraph>;

export const ApiGraphList = z.strictObject({ graphs: z.array(ApiGraph) });
export type ApiGraphList = z.infer<typeof ApiGraphList>;

// ---- live events ----

/** The server-sent events of GET /api/threads/:id/events (the event name is `type`). */
export const ThreadEvent = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("run_started"), threadId: z.string(), runId: z.string() }),
  z.strictObject({ type: z.literal("checkpoint"), threadId: z.string(), checkpoint: ApiCheckpoint }),
  z.strictObject({ type: z.literal("interrupt"), threadId: z.string(), interrupts: z.array(ApiInterrupt), checkpointId: z.string() }),
  z.strictObject({ type: z.literal("error"), threadId: z.string(), error: z.unknown() }),
  /** What a node sent with `ctx.emit` (the LangGraph protocol streams it; the dashboard ignores it). */
  z.strictObject({ type: z.literal("custom"), threadId: z.string(), node: z.string(), data: z.unknown() }),
  z.strictObject({ type: z.literal("run_ended"), threadId: z.string(), runId: z.string(), status: z.string() }),
  z.strictObject({ type: z.literal("thread_updated"), threadId: z.string(), reason: z.enum(["edit", "fork", "deleted", "cancel"]) }),
]);
export type ThreadEvent = z.infer<typeof ThreadEvent>;

/** Every event name the stream sends: `thread` (the thread's view, first and whenever it changed) and the above. */
export const THREAD_EVENT_NAMES = ["thread", ...ThreadEvent.options.map((o) => o.shape.type.value)] as const;

// ---- accounts ----

const Role = z.enum(ROLES);
const GraphScope = z.array(z.string()).nullable();

/** GET /api/me: who is calling and what they may do (the dashboard shows only those actions). */
export const ApiMe = z.strictObject({
  kind: z.enum(["user", "token", "admin-token"]),
  userId: z.string().nullable(),
  name: z.string(),
  email: z.string().nullable(),
  role: Role,
  graphs: GraphScope,
  actions: z.array(z.enum(ACTIONS)),
  sso: z.strictObject({ name: z.string() }).nullable(),
});
export type ApiMe = z.infer<typeof ApiMe>;

export const ApiUser = z.strictObject({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  role: Role,
  graphs: GraphScope,
  disabled: z.boolean(),
  createdAt: Time,
  /** Has signed in through single sign-on. */
  sso: z.boolean(),
});
export type ApiUser = z.infer<typeof ApiUser>;

/** GET /api/users (admins). */
export const ApiUserList = z.strictObject({ users: z.array(ApiUser), roles: z.array(Role) });
export type ApiUserList = z.infer<typeof ApiUserList>;

/** An API token as listed: never its secret. */
export const ApiToken = z.strictObject({
  id: z.string(),
  name: z.string(),
  /** The token's first characters, to recognise it. */
  prefix: z.string(),
  role: Role,
  graphs: GraphScope,
  /** "all": whatever the role allows; "metrics": only GET /api/metrics. */
  scope: z.enum(TOKEN_SCOPES),
  userId: z.string(),
  createdAt: Time,
  expiresAt: Time.nullable(),
  lastUsedAt: Time.nullable(),
  revokedAt: Time.nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

export const ApiTokenList = z.strictObject({ tokens: z.array(ApiToken) });
export type ApiTokenList = z.infer<typeof ApiTokenList>;

/** POST /api/tokens: the secret, shown this once, and the record. */
export const ApiCreatedToken = z.strictObject({ token: z.string(), record: ApiToken });
export type ApiCreatedToken = z.infer<typeof ApiCreatedToken>;

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
  "schedule_create",
  "schedule_update",
  "schedule_delete",
  "schedule_run",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const ApiAuditEntry = z.strictObject({
  id: z.string(),
  at: Time,
  actorId: z.string().nullable(),
  actorName: z.string(),
  actorKind: z.string(),
  action: z.string(),
  outcome: z.string(),
  threadId: z.string().nullable(),
  graphId: z.string().nullable(),
  checkpointBefore: z.string().nullable(),
  checkpointAfter: z.string().nullable(),
  reason: z.string().nullable(),
  detail: z.unknown(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
});
export type ApiAuditEntry = z.infer<typeof ApiAuditEntry>;

export const ApiAuditPage = z.strictObject({ entries: z.array(ApiAuditEntry), nextCursor: Cursor });
export type ApiAuditPage = z.infer<typeof ApiAuditPage>;

/** GET /api/setup (open): whether this instance still needs its first admin, and whether SSO is configured. */
export const ApiSetupStatus = z.strictObject({ needed: z.boolean(), sso: z.strictObject({ name: z.string() }).nullable() });
export type ApiSetupStatus = z.infer<typeof ApiSetupStatus>;

/** POST /api/setup: the first admin, now signed in (the session cookie comes with the answer). */
export const ApiSetupClaim = z.strictObject({ user: ApiUser });
export type ApiSetupClaim = z.infer<typeof ApiSetupClaim>;

// ---- service ----

/**
 * Every error answer: a stable `code` (lib/server/http.ts maps domain errors to statuses in one table), one
 * sentence, and for a few codes the details a client acts on (the head to reload; the role an action needs; where
 * a decision is awaited).
 */
export const ApiErrorBody = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    expectedCheckpointId: z.string().optional(),
    headCheckpointId: z.string().nullable().optional(),
    action: z.string().optional(),
    role: z.string().optional(),
    requiredRole: z.string().optional(),
    /** DECISION_REQUIRED: where the run waits for a decision; INVALID_RESUME: the node whose answer was refused. */
    node: z.string().optional(),
    checkpointId: z.string().optional(),
    /** INVALID_RESUME: each problem with the answer, by field (a dotted path; "" for the answer as a whole). */
    issues: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/** GET /api/health (open): 200 when the store answers a read, 503 with the store's one-sentence error otherwise. */
export const ApiHealth = z.union([
  z.strictObject({ ok: z.literal(true), store: z.string() }),
  z.strictObject({ ok: z.literal(false), store: z.string(), error: z.strictObject({ code: z.string(), message: z.string() }) }),
]);
export type ApiHealth = z.infer<typeof ApiHealth>;

// The schemas restate a few store and engine types for the wire; these lines fail to compile if they drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShapes: [
  Same<ThreadStatus, Store.ThreadStatus>,
  Same<z.infer<typeof ApiGraphStructure>, GraphStructure>,
  Same<z.infer<typeof ApiPendingWrite>, Store.PendingWrite>,
  Same<ApiCheckpointMeta["source"], Store.CheckpointSource>,
  Same<Required<ApiInterrupt>["kind"], Store.PendingInterrupt["kind"]>,
  Same<Required<ApiFailedAttempt>, Store.FailedAttempt>,
] = [true, true, true, true, true, true];
void sameShapes;

// ---- scheduled runs ----

/**
 * A graph run on a cron expression (GET /api/schedules). `nextRunAt` is computed from the cron expression (null
 * while paused); `firedBy` says what fires it on this deployment: the web process's own timer ("in-process",
 * stores without a queue and WAYPOINT_EXECUTE=local), or the queue's scheduler ("pg-boss", "bullmq").
 */
export const ApiSchedule = z.strictObject({
  scheduleId: z.string(),
  graphId: z.string(),
  cron: z.string(),
  timezone: z.string(),
  input: z.record(z.string(), z.unknown()),
  /** null: every fire starts a new thread; else every fire runs on this thread. */
  threadId: z.string().nullable(),
  paused: z.boolean(),
  createdBy: z.string(),
  createdAt: Time,
  updatedAt: Time,
  nextRunAt: Time.nullable(),
  lastRunAt: Time.nullable(),
  lastThreadId: z.string().nullable(),
  lastRunId: z.string().nullable(),
  /** Why the last fire started no run (input refused by a changed graph, the fixed thread still busy, ...). */
  lastError: z.string().nullable(),
  firedBy: z.enum(["in-process", "pg-boss", "bullmq"]),
});
export type ApiSchedule = z.infer<typeof ApiSchedule>;

export const ApiScheduleList = z.strictObject({ schedules: z.array(ApiSchedule) });
export type ApiScheduleList = z.infer<typeof ApiScheduleList>;

export const ApiScheduleDeleted = z.strictObject({ deleted: z.literal(true), scheduleId: z.string() });
export type ApiScheduleDeleted = z.infer<typeof ApiScheduleDeleted>;

/** POST /api/schedules/:id/run: the run it started (null with `error` when it started none). */
export const ApiScheduleFire = z.strictObject({
  schedule: ApiSchedule,
  threadId: z.string().nullable(),
  runId: z.string().nullable(),
  error: z.string().nullable(),
});
export type ApiScheduleFire = z.infer<typeof ApiScheduleFire>;
