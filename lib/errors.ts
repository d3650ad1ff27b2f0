/**
 * Typed errors shared by the engine, the stores and the server.
 *
 * Every error carries a stable string `code`; callers branch on the code (or the `isXxx` guards below),
 * never on `instanceof`, so that errors survive being thrown across module copies (Next.js bundles the
 * server code separately from scripts) and can be mapped to HTTP statuses in one place.
 */
export type ErrorCode =
  | "CHECKPOINT_NOT_FOUND"
  | "THREAD_NOT_FOUND"
  | "INVALID_ID"
  | "INVALID_ARGUMENT"
  | "STORE_CONFIG"
  | "STORE_UNAVAILABLE"
  | "CORRUPT_CHECKPOINT"
  | "INVALID_GRAPH"
  | "INVALID_UPDATE"
  | "INVALID_STATE"
  | "THREAD_BUSY"
  | "NODE_FAILED"
  | "RECURSION_LIMIT"
  | "NO_PENDING_INTERRUPT"
  | "UNKNOWN_NODE"
  | "RUN_ABORTED"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "CROSS_SITE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "STALE_CHECKPOINT"
  | "ALREADY_APPROVED"
  | "CONFLICT"
  | "GRAPH_NOT_FOUND"
  | "THREAD_EXISTS"
  | "NO_ACTIVE_RUN"
  | "DECISION_REQUIRED"
  /** A resume value the interrupting node's declared schema refuses (details: node, issues). */
  | "INVALID_RESUME"
  /** No schedule with this id (lib/server/schedules). */
  | "SCHEDULE_NOT_FOUND"
  /** Stored state is encrypted with a key that is not configured, or does not decrypt (lib/checkpoint/crypto.ts). */
  | "ENCRYPTION_KEY";

export class WaypointError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WaypointError";
    this.code = code;
    this.details = details;
  }
}

/** True for any Waypoint error, optionally of one code. Duck-typed on `code` so copies of this module agree. */
export function isWaypointError(err: unknown, code?: ErrorCode): err is WaypointError {
  if (typeof err !== "object" || err === null) return false;
  const c = (err as { code?: unknown }).code;
  return typeof c === "string" && (err as { name?: unknown }).name === "WaypointError" && (code === undefined || c === code);
}

const guard =
  (code: ErrorCode) =>
  (err: unknown): err is WaypointError =>
    isWaypointError(err, code);

export const isCheckpointNotFound = guard("CHECKPOINT_NOT_FOUND");
export const isThreadNotFound = guard("THREAD_NOT_FOUND");
export const isInvalidId = guard("INVALID_ID");
export const isInvalidArgument = guard("INVALID_ARGUMENT");
export const isStoreConfigError = guard("STORE_CONFIG");
export const isStoreUnavailable = guard("STORE_UNAVAILABLE");
export const isCorruptCheckpoint = guard("CORRUPT_CHECKPOINT");
export const isGraphValidationError = guard("INVALID_GRAPH");
export const isInvalidUpdate = guard("INVALID_UPDATE");
export const isStateValidationError = guard("INVALID_STATE");
export const isThreadBusy = guard("THREAD_BUSY");
/** A save refused because its run no longer holds the thread's lock (SaveOptions.lockOwner; details.fenced). */
export const isFencedOut = (err: unknown): err is WaypointError => isThreadBusy(err) && err.details.fenced === true;
export const isNodeFailed = guard("NODE_FAILED");
export const isRecursionLimit = guard("RECURSION_LIMIT");
export const isNoPendingInterrupt = guard("NO_PENDING_INTERRUPT");
export const isUnknownNode = guard("UNKNOWN_NODE");
export const isRunAborted = guard("RUN_ABORTED");
export const isUnauthenticated = guard("UNAUTHENTICATED");
export const isForbidden = guard("FORBIDDEN");
export const isStaleCheckpoint = guard("STALE_CHECKPOINT");
export const isGraphNotFound = guard("GRAPH_NOT_FOUND");
export const isThreadExists = guard("THREAD_EXISTS");
export const isNoActiveRun = guard("NO_ACTIVE_RUN");
export const isDecisionRequired = guard("DECISION_REQUIRED");

export const checkpointNotFound = (id: string) =>
  new WaypointError("CHECKPOINT_NOT_FOUND", `Checkpoint "${id}" was not found.`, { checkpointId: id });
export const threadNotFound = (threadId: string) => new WaypointError("THREAD_NOT_FOUND", `Thread "${threadId}" was not found.`, { threadId });

/** A decision or edit made on a screen that showed `expected`, while the thread's head is now `head`. */
export const staleCheckpoint = (threadId: string, expected: string, head: string | null) =>
  new WaypointError(
    "STALE_CHECKPOINT",
    `Thread "${threadId}" has moved on since you looked at it: you saw checkpoint ${expected}, its head is now ${head ?? "none"}. Reload, check what changed, and decide again.`,
    { threadId, expectedCheckpointId: expected, headCheckpointId: head },
  );
