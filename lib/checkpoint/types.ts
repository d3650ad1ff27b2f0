/**
 * The checkpoint contract: what a checkpoint is and what every store must do.
 *
 * Names follow the LangGraphGo seed (`Checkpoint`, `CheckpointStore`, `save`/`load`/`list`/`delete`/`clear`)
 * with what time travel needs on top: a parent link (forks make a tree), a per-thread version, pending
 * interrupts and writes, thread records and a per-thread run lock.
 *
 * Invariants every backend keeps (the conformance suite in tests/conformance checks each one):
 * - A saved checkpoint is immutable except for `pendingWrites` (see `putWrites`).
 * - `version` is assigned by the store on `save`: 1 for a thread's first checkpoint, then strictly increasing
 *   within the thread across all branches, unique even when many saves race on one thread, and never reused
 *   after a delete (only `clear` starts a thread's versions again).
 * - No checkpoint's `parentId` names a checkpoint that was deleted: `delete` and `prune` re-link children to
 *   the nearest surviving ancestor (or null).
 * - Values round-trip through JSON: what `load` returns equals `JSON.parse(JSON.stringify(saved))`.
 * - Storage grows with what steps change, not with the state: stores keep most checkpoints as deltas against an
 *   ancestor (lib/checkpoint/delta.ts), rebuilding any one from its snapshot plus at most log2(depth) deltas;
 *   `delete`, `prune` and expiry never leave a survivor that cannot be rebuilt.
 * - Thread and checkpoint ids are validated (see ids.ts) before they reach a file path, a key or a query.
 */

/** Where a checkpoint came from. */
export type CheckpointSource = "input" | "loop" | "update" | "fork";

/** Reserved `nodeName`s for checkpoints not produced by graph nodes. */
export const INPUT_NODE = "__input__";
export const UPDATE_NODE = "__update__";
export const FORK_NODE = "__fork__";

/** One write a node made to one channel in a step. */
export interface ChannelWrite {
  node: string;
  channel: string;
  value: unknown;
}

/**
 * A pending interrupt: a run stopped here for a human.
 * `kind` is "dynamic" for `interrupt(value)` calls inside a node, "before"/"after" for static interrupts.
 */
export interface PendingInterrupt {
  id: string;
  node: string;
  kind: "dynamic" | "before" | "after";
  value: unknown;
}

/**
 * A write kept on a checkpoint for the step that starts from it: a node that completed in a step whose
 * sibling failed or was interrupted (so it is not run again on resume), or the resume values a node has
 * already received (`channel` "__resume__", `value` the list of values in order).
 */
export interface PendingWrite {
  /** The node that wrote it; for writes added by `appendWrites`, the task id. */
  node: string;
  channel: string;
  value: unknown;
  /** Set by `appendWrites` (see TaskWrite): the write's index within its task. Kept verbatim otherwise. */
  idx?: number;
  /** Set by `appendWrites` when given (see TaskWrite). */
  taskPath?: string;
  /** Set by `appendWrites` when given (see TaskWrite). */
  encoding?: string;
}

/**
 * One write `appendWrites` adds for a task (LangGraph's `putWrites` semantics). It is stored as a PendingWrite
 * with `node` = the task id and these fields; a task's write is identified by (checkpoint, task id, `idx`).
 */
export interface TaskWrite {
  /**
   * A safe integer. `idx >= 0`: a regular write (its position in the task's writes), stored only if the task has
   * no write with this idx yet (a retried task does not duplicate or change it). `idx < 0`: a special write
   * (LangGraph's WRITES_IDX_MAP: ERROR -1, SCHEDULED -2, INTERRUPT -3, RESUME -4) that replaces the task's write
   * with the same idx, in place, or is added when there is none.
   */
  idx: number;
  /** Non-empty. */
  channel: string;
  /** Any JSON value. */
  value: unknown;
  /** Kept verbatim when given: the task's path (LangGraph orders replayed writes by it). */
  taskPath?: string;
  /** Kept verbatim when given: the serializer type of a `value` that is not plain JSON (the LangGraph saver's). */
  encoding?: string;
}

/**
 * One failed try of a node, kept so the history tells the whole story even after a later success: in the
 * metadata of the checkpoint its step finally produced (`failedAttempts`), or in the thread's error record
 * while the step stays failed (`ThreadError.attempts`). JSON only.
 */
export interface FailedAttempt {
  node: string;
  /** 1-based try within its run, of the `maxAttempts` the node's retry policy allows (1 without a policy). */
  attempt: number;
  maxAttempts: number;
  /** Which run of the step: 1 for the first, 2 for the first Retry after it failed, and so on. */
  run: number;
  message: string;
  /** ISO-8601 time the try started. */
  startedAt: string;
  durationMs: number;
}

export interface CheckpointMetadata {
  source: CheckpointSource;
  /** The writes of the step that produced this checkpoint, in merge order. */
  writes: ChannelWrite[];
  /** For human edits and forks: who and why. */
  actor?: string;
  reason?: string;
  /** For forks copied into another thread: where they came from. */
  forkedFrom?: { threadId: string; checkpointId: string; version?: number };
  /**
   * For checkpoints a step of the run loop produced: how long the step took (its nodes, retries included,
   * from the first starting to the last finishing; a resumed step counts from its resume). Whole milliseconds.
   */
  durationMs?: number;
  /** The failed tries of the step's nodes before it succeeded (or was interrupted), across Retries of it; oldest first. */
  failedAttempts?: FailedAttempt[];
  /** Free-form extra metadata (run id, graph id, ...). Must be JSON. */
  [key: string]: unknown;
}

/** A saved snapshot of a thread's state after one step. */
export interface Checkpoint<S extends Record<string, unknown> = Record<string, unknown>> {
  /** Unique, time-sortable (UUIDv7). */
  id: string;
  threadId: string;
  /**
   * Subgraph namespace (LangGraph's `checkpoint_ns`), e.g. "child:<task id>": a subgraph's checkpoints belong to
   * their parent graph's thread — listed under it (`ListOptions.namespace` filters), deleted with it, counted in
   * its checkpointCount, never a thread of their own — but are never its head or `latest`, which come from the
   * root graph only. Absent (or "") = the root graph: stores return the field only when it is not "". At most
   * 1,000 characters, no U+0000.
   */
  namespace?: string;
  /** The checkpoint this one continues from; null for a thread's first. Makes branches a tree. */
  parentId: string | null;
  /** Assigned by the store: strictly increasing within the thread, across branches. */
  version: number;
  /** Super-step number: -1 for the input checkpoint, then 0, 1, 2... along a branch. */
  step: number;
  /** Node(s) whose writes produced it, comma-joined in merge order, or __input__ / __update__ / __fork__. */
  nodeName: string;
  /** The full state values after the step (stores may keep only what changed; `load` always gives it whole). */
  state: S;
  /** Nodes that run next; empty when the run is finished. */
  next: string[];
  /** Interrupts pending here; a run started from this checkpoint must answer or pass them. */
  interrupts: PendingInterrupt[];
  /** See `PendingWrite`; usually empty. */
  pendingWrites: PendingWrite[];
  metadata: CheckpointMetadata;
  /** ISO-8601 time of creation. */
  timestamp: string;
}

/**
 * What a timeline needs of a checkpoint: no state, no pending writes, no write values. Stores keep what they
 * need for it at save time (and keep `parentId` right on re-links), so listing summaries never reads or
 * parses `state`, `pendingWrites` or `metadata.writes`; equals `toSummary(checkpoint)` (lib/checkpoint/summary.ts).
 */
export interface CheckpointSummary {
  id: string;
  threadId: string;
  parentId: string | null;
  version: number;
  step: number;
  nodeName: string;
  next: string[];
  /** The pending interrupts without their `value`. */
  interrupts: { id: string; node: string; kind: PendingInterrupt["kind"] }[];
  source: CheckpointSource;
  /** `metadata.actor` / `metadata.reason` when they are strings, else null. */
  actor: string | null;
  reason: string | null;
  /** Channels the step wrote (names only, in write order, de-duplicated). */
  channels: string[];
  timestamp: string;
  /** `metadata.durationMs` when it is a number, else null. */
  durationMs: number | null;
  /** `metadata.failedAttempts` without their messages and times. */
  failedAttempts: Pick<FailedAttempt, "node" | "attempt" | "maxAttempts" | "run">[];
  /** The checkpoint's namespace, present only when not the root ("") one. */
  namespace?: string;
}

/** What `save` takes: a checkpoint without its version (the store assigns it). */
export type NewCheckpoint<S extends Record<string, unknown> = Record<string, unknown>> = Omit<Checkpoint<S>, "version">;

/**
 * A thread's status. "cancelled": a person stopped its run; it stays at the last completed step and continues
 * from there like "idle". The one list every store validates against (validate.ts) and the API accepts.
 */
export const THREAD_STATUSES = ["idle", "running", "interrupted", "done", "error", "cancelled"] as const;
export type ThreadStatus = (typeof THREAD_STATUSES)[number];

export interface ThreadError {
  node: string | null;
  message: string;
  /** Checkpoint the failed step started from. */
  checkpointId: string | null;
  at: string;
  /** Every failed try of the step, oldest first, including those of earlier runs of it that failed too (a Retry). */
  attempts?: FailedAttempt[];
}

/** A thread's record: maintained by `save` (head, count, updatedAt) and `updateThread` (the rest). */
export interface ThreadInfo {
  threadId: string;
  graphId: string | null;
  status: ThreadStatus;
  /** The newest ROOT-namespace checkpoint by version (any branch), or null while there is none. */
  headCheckpointId: string | null;
  headVersion: number;
  checkpointCount: number;
  error: ThreadError | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface ThreadPatch {
  graphId?: string | null;
  status?: ThreadStatus;
  error?: ThreadError | null;
  /** Replaces the thread's metadata when given. */
  metadata?: Record<string, unknown>;
}

export interface ListOptions {
  /** Default "asc" (oldest first, as the seed's List). */
  order?: "asc" | "desc";
  /** At most this many (default: all). Must be a positive integer. */
  limit?: number;
  /** Only versions strictly below this. */
  before?: number;
  /** Only versions strictly above this. */
  after?: number;
  /** Only checkpoints of this namespace ("" = the root graph's). Default: every namespace. */
  namespace?: string;
  /**
   * Only checkpoints whose `metadata` has every one of these top-level keys with exactly this value (LangGraph's
   * `list` filter). Values are strings, finite numbers or booleans (a number matches the same number, never a
   * string); at most 20 keys, each 1–200 characters; anything else is INVALID_ARGUMENT. Applied by the store
   * before the limit (SQL JSON operators; Redis and file keep each checkpoint's scalar top-level metadata
   * beside its summary), so neither `list` nor `listSummaries` reads a state to filter.
   */
  metadata?: Record<string, string | number | boolean>;
}

/**
 * How `listThreads` orders: "updated" = newest `updatedAt` first (ties by threadId, descending); "waiting" =
 * only interrupted threads, the one waiting longest first (oldest `updatedAt` first, ties by threadId ascending).
 */
export const THREAD_SORTS = ["updated", "waiting"] as const;
export type ThreadSort = (typeof THREAD_SORTS)[number];

export interface ListThreadsOptions {
  status?: ThreadStatus;
  graphId?: string;
  /**
   * Free text (1–200 characters): keeps threads whose id, graph id, status, error message or metadata JSON text
   * contains it, ignoring the case of ASCII letters (backends may fold more). Wildcards (`%`, `_`, `*`) are literal.
   */
  query?: string;
  /** Default "updated". "waiting" with a `status` other than "interrupted" is INVALID_ARGUMENT. */
  sort?: ThreadSort;
  /** Default 50, at most 500. */
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string | null;
}

export interface ThreadPage {
  /** In the order of `sort` (default newest `updatedAt` first, ties broken by threadId, descending). */
  threads: ThreadInfo[];
  /**
   * Null once the listing is exhausted. With a `query`, a backend that scans in bounded slices (Redis) may hand
   * out a page with fewer than `limit` threads (even none) and a cursor to go on: callers page until null.
   */
  nextCursor: string | null;
}

/**
 * What a thread's checkpoints occupy (`storage`). Bytes are the stored text of each checkpoint row (state or
 * delta, metadata, next, interrupts, pending writes, summary, ids and times), measured the same way on every
 * backend (UTF-8 bytes of what is written; indexes and page/file-system overhead are not counted).
 */
export interface ThreadStorage {
  threadId: string;
  bytes: number;
  checkpoints: number;
  /** Checkpoints stored whole. */
  snapshots: number;
  /** Checkpoints stored as changes against an ancestor. */
  deltas: number;
  /** The largest checkpoints, largest first (at most 10). */
  largest: { id: string; version: number; step: number; bytes: number; snapshot: boolean }[];
}

/**
 * What `save` also does in the same atomic step (issue 10): a run's bookkeeping rides on its saves, so marking a
 * thread "running" with the run's first checkpoint, and "done" plus the lock's release with its last, cost no
 * round trip or commit of their own. Validated before anything is written; a refused save applies neither.
 */
export interface SaveOptions {
  /** Applied to the thread record exactly as `updateThread(threadId, thread)` would, after the save's own update. */
  thread?: ThreadPatch;
  /** Releases the run lock if this owner holds it, as `releaseLock` would; another owner's lock is left alone. */
  releaseLock?: string;
  /**
   * Fences the save with the run lock: it is written only if the thread's lock names this owner, checked in the
   * same atomic step as the write (a lease that ran out still counts until another owner takes it over — or, on
   * Redis, where keys expire, until the key is gone). Otherwise it rejects THREAD_BUSY with `details.fenced`
   * true and writes nothing: a run that stalled past its lease while another process took the thread over can
   * no longer append a step behind that process's back.
   */
  lockOwner?: string;
}

/**
 * `latest`: the thread's newest checkpoint (as `latest` returns it) read with the lock, in the same round trip
 * where the backend allows it — a run's start needs both. Only on an acquired lock, and only when asked for.
 */
export type LockResult = { acquired: true; latest?: Checkpoint | null } | { acquired: false; owner: string; expiresAt: number };

export interface AcquireOptions {
  /** Also read the thread's latest checkpoint once the lock is acquired (LockResult.latest). */
  latest?: boolean;
}

/**
 * The store contract. Every method validates its ids first and rejects with `INVALID_ID` (changing nothing)
 * on an unsafe one. Unknown ids reject with `CHECKPOINT_NOT_FOUND` / `THREAD_NOT_FOUND` where stated.
 */
export interface CheckpointStore {
  /** Backend name: "memory" | "file" | "sqlite" | "postgres" | "redis". */
  readonly kind: string;

  /** Creates tables, folders or scripts. Idempotent and safe when several processes call it at once. */
  setup(): Promise<void>;

  /**
   * Saves a new checkpoint, assigns its version, and in the same atomic step creates or updates the thread
   * record (head, count, updatedAt), applying `options` (see SaveOptions) in that same step. Returns the
   * checkpoint as stored. Rejects `INVALID_ARGUMENT` if the id already exists or the parent is not in the same
   * thread, or THREAD_BUSY when `options.lockOwner` no longer holds the lock; the store is then unchanged
   * (neither the thread patch nor the lock release is applied).
   */
  save(checkpoint: NewCheckpoint, options?: SaveOptions): Promise<Checkpoint>;

  /**
   * Writes a checkpoint exactly as given (id, version, parent, step, timestamp, state, next, interrupts, pending
   * writes, metadata), for imports and migrations between stores. Parents must be imported before children.
   * Idempotent: a checkpoint whose id is already stored in the same thread with the same version is left as it is
   * and `false` is returned (re-running an import changes nothing); otherwise it is written and `true` returned.
   * Rejects INVALID_ARGUMENT, changing nothing, when the id is stored in another thread or with another version,
   * when the version is taken by another checkpoint of the thread, when the version is not a positive integer
   * (at most 2^31 - 1, what the SQL stores' columns hold), or when the parent is not a checkpoint of the same
   * thread. Validates like `save` (ids, JSON values).
   * The thread record is created if missing and maintained as `save` does: head = the checkpoint with the highest
   * version, checkpointCount + 1, and the thread's version counter raised to at least `version` so that later
   * saves continue after it (never reusing a version). It does not move `updatedAt` backwards; status, graph,
   * error and metadata are left to `updateThread`. Atomic per call; stores keep an imported checkpoint whole
   * (a snapshot: see import.ts), and later saves on top of it may be deltas against it.
   */
  importCheckpoint(checkpoint: Checkpoint): Promise<boolean>;

  /** The checkpoint with this id; `CHECKPOINT_NOT_FOUND` if there is none. */
  load(checkpointId: string): Promise<Checkpoint>;

  /** A thread's checkpoints ordered by version (see ListOptions). An unknown thread gives []. */
  list(threadId: string, options?: ListOptions): Promise<Checkpoint[]>;

  /**
   * Like `list` (same ordering and paging options, same validation), but summaries only; never reads states
   * (nor pending writes or write values). An unknown thread gives [].
   */
  listSummaries(threadId: string, options?: ListOptions): Promise<CheckpointSummary[]>;

  /**
   * The thread's newest root-namespace checkpoint by version (subgraph checkpoints are never latest; list one
   * namespace with `list(threadId, { namespace, order: "desc", limit: 1 })`), or null if it has none.
   */
  latest(threadId: string): Promise<Checkpoint | null>;

  /**
   * Replaces a checkpoint's pending writes (the only mutable part of a checkpoint).
   * `CHECKPOINT_NOT_FOUND` if it does not exist.
   */
  putWrites(checkpointId: string, writes: PendingWrite[]): Promise<void>;

  /**
   * Adds one task's writes to a checkpoint's pending writes, ATOMICALLY: the read, merge and write happen as one
   * step against every other `appendWrites` / `putWrites` on the checkpoint, from any process sharing the store,
   * so concurrent tasks (LangGraph runs a step's tasks in parallel, possibly in several processes) lose nothing.
   * Merge rule per write, in the given order (see TaskWrite): a regular write (idx >= 0) is inserted only if the
   * checkpoint has no write of `taskId` with that idx; a special one (idx < 0) replaces it in place. Writes added
   * go at the end, in the given order; existing writes keep their order. An empty list changes nothing.
   * Rejects INVALID_ARGUMENT, changing nothing, when `taskId` is not a non-empty string of at most 256
   * characters, when a write is malformed (idx not a safe integer, empty channel, taskPath/encoding not strings,
   * a value JSON cannot hold) or two writes of the call share an idx; `CHECKPOINT_NOT_FOUND` if the checkpoint
   * does not exist. Like putWrites it leaves the thread's `updatedAt` alone.
   */
  appendWrites(checkpointId: string, taskId: string, writes: TaskWrite[]): Promise<void>;

  /** Deletes one checkpoint, re-linking its children to its parent. `CHECKPOINT_NOT_FOUND` if unknown. */
  delete(checkpointId: string): Promise<void>;

  /** Deletes a thread: all its checkpoints, its record and its lock. Unknown threads are a no-op. */
  clear(threadId: string): Promise<void>;

  /**
   * Retention: keeps the newest `keep` checkpoints of the thread by version, plus every branch tip (a
   * checkpoint with no children) whatever its age; deletes the rest, re-linking survivors to their nearest
   * surviving ancestor. Returns how many were deleted.
   */
  prune(threadId: string, keep: number): Promise<number>;

  /** What the thread's checkpoints occupy; `THREAD_NOT_FOUND` for a thread with neither record nor checkpoints. */
  storage(threadId: string): Promise<ThreadStorage>;

  /** The thread's record; `THREAD_NOT_FOUND` if it has none. */
  getThread(threadId: string): Promise<ThreadInfo>;

  /**
   * Creates (status "idle") or updates a thread record. Returns it as stored. Only `save` and `updateThread`
   * move a thread's `updatedAt`; delete, prune and putWrites leave it.
   */
  updateThread(threadId: string, patch: ThreadPatch): Promise<ThreadInfo>;

  /** Threads, newest update first, filtered and paged. */
  listThreads(options?: ListThreadsOptions): Promise<ThreadPage>;

  /**
   * The one-active-run-per-thread lock, shared by every process using the same backing store.
   * Acquires (or, for the same owner, renews) the lock for `ttlMs`. Fails while another owner holds an
   * unexpired lock, reporting that owner. With `options.latest`, an acquired result carries the thread's
   * latest checkpoint, read after the lock was taken (so no run of this lock's thread can have saved since).
   */
  acquireLock(threadId: string, owner: string, ttlMs: number, options?: AcquireOptions): Promise<LockResult>;

  /**
   * Takes the lock from `fromOwner` only if it still holds it, expired or not (compare-and-swap): used to
   * take over a lock whose holder is known to be dead. True if taken. A lock that no longer exists (e.g.
   * expired and evicted) is not held by anyone: this returns false and the caller uses `acquireLock`.
   */
  stealLock(threadId: string, owner: string, fromOwner: string, ttlMs: number): Promise<boolean>;

  /** Releases the lock if `owner` holds it; otherwise does nothing. */
  releaseLock(threadId: string, owner: string): Promise<void>;

  /** Releases connections and handles. Further calls may fail. */
  close(): Promise<void>;
}
