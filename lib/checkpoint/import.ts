/**
 * `importCheckpoint` (types.ts) shared by every backend: input checks and the decision whether an import is a
 * no-op, a write or a conflict. Backends call `importDecision` with what they read inside their atomic step
 * (transaction, Lua script, thread mutex), so the decision and the write see the same store.
 *
 * Imported checkpoints are stored as snapshots (the full state text, as the codec would write it, label 0):
 * correct whatever the source's layout, gaps or branch order, and a later `save` on top of one is encoded as
 * a delta against it like any snapshot. The codec's `encode` with no parent gives exactly that row.
 */
import { WaypointError } from "../errors";
import type { DeltaCodec, EncodedRow } from "./delta";
import type { Checkpoint } from "./types";
import { validateNewCheckpoint } from "./validate";

const bad = (message: string) => new WaypointError("INVALID_ARGUMENT", message);

/** Highest importable version: the SQL stores keep versions in a 32-bit INTEGER column. */
export const MAX_IMPORT_VERSION = 2_147_483_647;

/** Validates like `save`, plus the version (a positive integer the SQL columns can hold). */
export function validateImport(cp: Checkpoint): void {
  validateNewCheckpoint(cp);
  if (!Number.isInteger(cp.version) || cp.version < 1 || cp.version > MAX_IMPORT_VERSION)
    throw bad(`Checkpoint version must be a positive integer (at most ${MAX_IMPORT_VERSION}).`);
}

/** The snapshot row an imported checkpoint is stored as (serialises the state; INVALID_ARGUMENT if it is not JSON). */
export function importRow(codec: DeltaCodec, cp: Checkpoint, metadataJson: string): EncodedRow {
  return codec.encode({ ...cp, parentId: null }, metadataJson);
}

/** What a backend knows, read inside its atomic step, to decide an import. */
export interface ImportFacts {
  /** The stored checkpoint with the same id, if any. */
  existing: { threadId: string; version: number } | null;
  /** The id of the thread's checkpoint holding `cp.version`, if any. */
  versionHolder: string | null;
  /** The thread of `cp.parentId` when it is stored (null when it is not, or `cp.parentId` is null). */
  parentThreadId: string | null;
}

/** False: already imported (a no-op). True: write it. Throws INVALID_ARGUMENT on a conflict (write nothing). */
export function importDecision(cp: Checkpoint, f: ImportFacts): boolean {
  if (f.existing) {
    if (f.existing.threadId === cp.threadId && f.existing.version === cp.version) return false;
    if (f.existing.threadId !== cp.threadId) throw bad(`Checkpoint "${cp.id}" already exists in another thread.`);
    throw bad(`Checkpoint "${cp.id}" already exists with version ${f.existing.version}, not ${cp.version}.`);
  }
  if (f.versionHolder !== null && f.versionHolder !== cp.id)
    throw bad(`Version ${cp.version} of thread "${cp.threadId}" is taken by checkpoint "${f.versionHolder}".`);
  if (cp.parentId !== null && f.parentThreadId !== cp.threadId)
    throw bad(`Parent checkpoint "${cp.parentId}" is not in thread "${cp.threadId}" (import parents before children).`);
  return true;
}

/** The later of two ISO times: an import never moves a thread's `updatedAt` backwards. */
export const laterIso = (a: string, b: string): string => (a > b ? a : b);
