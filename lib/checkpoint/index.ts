/**
 * Public entry of the checkpoint library: the contract, ids, validation helpers, the dependency-free stores
 * (memory, file), run-lock helpers and the factory. SQLite, PostgreSQL and Redis stores are NOT re-exported:
 * they pull native or server dependencies, so `createStore` loads them on demand.
 */
export * from "./types";
export { assertSafeId, isSafeId, newCheckpointId } from "./ids";
export { planPrune, relinkAfterDelete, type PrunePlan, type SkeletonRow } from "./prune";
export { assembleSummary, summaryExtra, toSummary, type SummaryExtra, type SummaryHead } from "./summary";
export {
  decodeThreadCursor,
  encodeThreadCursor,
  threadPageLimit,
  validateKeep,
  validateListOptions,
  validateNewCheckpoint,
  validateThreadPatch,
  validateTtl,
} from "./validate";
export {
  checkpointNotFound,
  isCheckpointNotFound,
  isCorruptCheckpoint,
  isInvalidArgument,
  isInvalidId,
  isStoreConfigError,
  isStoreUnavailable,
  isThreadBusy,
  isThreadNotFound,
  isWaypointError,
  threadNotFound,
  WaypointError,
  type ErrorCode,
} from "../errors";
export { createMemoryStore, MemoryCheckpointStore, newMemoryBacking, type MemoryBacking, type MemoryStoreConfig } from "./memory";
export { pageThreads, validateListThreads, validateWrites } from "./validate";
export { createFileStore, FileCheckpointStore, type FileStoreConfig } from "./file";
export { FileLockTable, isOwnerDeadLocally, newLockOwner, parseLockOwner, safeHostname, withMutex } from "./local-lock";
export {
  createStore,
  createStoreFromEnv,
  DEFAULT_CHECKPOINT_DIR,
  DEFAULT_REDIS_URL,
  DEFAULT_SQLITE_URL,
  redactUrl,
  storeConfigFromEnv,
  STORE_KINDS,
  type StoreConfig,
} from "./factory";
