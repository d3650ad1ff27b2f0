import { WaypointError } from "../errors";
import { assertSafeId } from "./ids";
import {
  THREAD_STATUSES,
  type AcquireOptions,
  type ListOptions,
  type ListThreadsOptions,
  type NewCheckpoint,
  type PendingWrite,
  type SaveOptions,
  type ThreadInfo,
  type ThreadPage,
  type ThreadPatch,
  type ThreadStatus,
} from "./types";
import { matchesQuery, validateQuery, validateSort } from "./thread-search";
import { validateMetadataFilter, validateNamespace, type MetadataFilter } from "./list-filter";

const bad = (message: string) => new WaypointError("INVALID_ARGUMENT", message);
const STATUSES: readonly ThreadStatus[] = THREAD_STATUSES;

/** Checks a checkpoint before any store touches its backing storage, so bad input changes nothing. */
export function validateNewCheckpoint(cp: NewCheckpoint): void {
  if (typeof cp !== "object" || cp === null) throw bad("Checkpoint must be an object.");
  assertSafeId(cp.id, "checkpoint");
  assertSafeId(cp.threadId, "thread");
  if (cp.parentId !== null) assertSafeId(cp.parentId, "checkpoint");
  if (cp.parentId === cp.id) throw bad("A checkpoint cannot be its own parent.");
  validateNamespace(cp.namespace, "Checkpoint namespace");
  if (!Number.isInteger(cp.step)) throw bad("Checkpoint step must be an integer.");
  if (typeof cp.nodeName !== "string") throw bad("Checkpoint nodeName must be a string.");
  if (typeof cp.state !== "object" || cp.state === null || Array.isArray(cp.state)) throw bad("Checkpoint state must be an object.");
  if (!Array.isArray(cp.next) || !cp.next.every((n) => typeof n === "string")) throw bad("Checkpoint next must be a list of node names.");
  if (!Array.isArray(cp.interrupts)) throw bad("Checkpoint interrupts must be a list.");
  if (!Array.isArray(cp.pendingWrites)) throw bad("Checkpoint pendingWrites must be a list.");
  if (typeof cp.metadata !== "object" || cp.metadata === null) throw bad("Checkpoint metadata must be an object.");
  if (typeof cp.timestamp !== "string" || Number.isNaN(Date.parse(cp.timestamp))) throw bad("Checkpoint timestamp must be an ISO date string.");
}

export function validateListOptions(o: ListOptions | undefined): Required<Pick<ListOptions, "order">> & ListOptions & { metadata?: MetadataFilter } {
  const opts = o ?? {};
  if (opts.order !== undefined && opts.order !== "asc" && opts.order !== "desc") throw bad(`order must be "asc" or "desc".`);
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) throw bad("limit must be a positive integer.");
  for (const k of ["before", "after"] as const) {
    if (opts[k] !== undefined && !Number.isInteger(opts[k])) throw bad(`${k} must be an integer version.`);
  }
  validateNamespace(opts.namespace);
  const metadata = validateMetadataFilter(opts.metadata);
  return { ...opts, order: opts.order ?? "asc", metadata };
}

export function validateThreadPatch(p: ThreadPatch): void {
  if (typeof p !== "object" || p === null) throw bad("Thread patch must be an object.");
  if (p.status !== undefined && !STATUSES.includes(p.status)) throw bad(`Unknown thread status "${String(p.status)}".`);
  if (p.metadata !== undefined && (typeof p.metadata !== "object" || p.metadata === null || Array.isArray(p.metadata)))
    throw bad("Thread metadata must be an object.");
  if (p.graphId !== undefined && p.graphId !== null && typeof p.graphId !== "string") throw bad("graphId must be a string.");
}

export function validateKeep(keep: number): void {
  if (!Number.isInteger(keep) || keep < 1) throw bad("keep must be a positive integer.");
}

export function validateTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs < 1) throw bad("ttlMs must be a positive number of milliseconds.");
}

/** Thread listing: default 50, at most 500. Cursor is opaque to callers. */
export function threadPageLimit(limit: number | undefined): number {
  if (limit === undefined) return 50;
  if (!Number.isInteger(limit) || limit < 1) throw bad("limit must be a positive integer.");
  return Math.min(limit, 500);
}

/** Cursor for thread pages: base64url of `updatedAt|threadId` of the last row of the page. */
export function encodeThreadCursor(updatedAt: string, threadId: string): string {
  return Buffer.from(`${updatedAt}|${threadId}`).toString("base64url");
}

export function decodeThreadCursor(cursor: string): { updatedAt: string; threadId: string } {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const i = text.indexOf("|");
  const updatedAt = text.slice(0, i);
  const threadId = text.slice(i + 1);
  if (i < 0 || Number.isNaN(Date.parse(updatedAt)) || !threadId) throw bad("Invalid thread cursor.");
  assertSafeId(threadId, "thread");
  return { updatedAt, threadId };
}

/** Checks listThreads options (every store rejects the same input) and returns them normalised. */
export function validateListThreads(o: ListThreadsOptions | undefined) {
  const opts = o ?? {};
  if (opts.status !== undefined && !STATUSES.includes(opts.status)) throw bad(`Unknown thread status "${String(opts.status)}".`);
  if (opts.graphId !== undefined && typeof opts.graphId !== "string") throw bad("graphId must be a string.");
  const limit = threadPageLimit(opts.limit);
  const cursor = opts.cursor ? decodeThreadCursor(opts.cursor) : null;
  const query = validateQuery(opts.query);
  const sort = validateSort(opts.sort, opts.status);
  // "waiting" is the interrupted threads, so every backend can walk its status index for it.
  const status = sort === "waiting" ? "interrupted" : opts.status;
  return { status, graphId: opts.graphId, limit, cursor, query, sort };
}

/** putWrites takes a list of {node, channel, value}. */
export function validateWrites(writes: PendingWrite[]): void {
  if (
    !Array.isArray(writes) ||
    !writes.every((w) => typeof w === "object" && w !== null && typeof w.node === "string" && typeof w.channel === "string")
  )
    throw bad("Pending writes must be a list of {node, channel, value}.");
}

/**
 * In-process listing (memory, file): in `o.sort` order — newest `updatedAt` first, ties by threadId descending, or
 * for "waiting" the exact reverse — filtered by status, graph and query; the cursor is the last row of the previous page.
 */
export function pageThreads(records: ThreadInfo[], o: ReturnType<typeof validateListThreads>): ThreadPage {
  const dir = o.sort === "waiting" ? -1 : 1;
  const cmp = (a: { updatedAt: string; threadId: string }, b: { updatedAt: string; threadId: string }) =>
    dir * (a.updatedAt !== b.updatedAt ? (a.updatedAt < b.updatedAt ? 1 : -1) : a.threadId < b.threadId ? 1 : a.threadId > b.threadId ? -1 : 0);
  const lowered = o.query?.toLowerCase();
  const rows = records
    .filter((r) => (o.status === undefined || r.status === o.status) && (o.graphId === undefined || r.graphId === o.graphId))
    .filter((r) => lowered === undefined || matchesQuery(r, lowered))
    .filter((r) => !o.cursor || cmp(r, o.cursor) > 0)
    .sort(cmp);
  const threads = rows.slice(0, o.limit);
  const last = threads[threads.length - 1];
  return { threads, nextCursor: rows.length > o.limit && last ? encodeThreadCursor(last.updatedAt, last.threadId) : null };
}

/** JSON text of a caller's value; INVALID_ARGUMENT (before anything changes) for BigInt, cycles and the like. */
export function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw bad(`${what} is not JSON-serialisable: ${(e as Error).message}`);
  }
  if (text === undefined) throw bad(`${what} is not JSON-serialisable.`);
  return text;
}

/** `save`'s options (types.ts SaveOptions), checked before anything is written. Returns them, `{}` when absent. */
export function validateSaveOptions(o: SaveOptions | undefined): SaveOptions {
  if (o === undefined) return {};
  if (typeof o !== "object" || o === null) throw bad("Save options must be an object.");
  if (o.thread !== undefined) validateThreadPatch(o.thread);
  if (o.releaseLock !== undefined) assertSafeId(o.releaseLock, "owner");
  if (o.lockOwner !== undefined) assertSafeId(o.lockOwner, "owner");
  return o;
}

/** The refusal of a save fenced by `SaveOptions.lockOwner` whose owner no longer holds the thread's lock. */
export function fencedOut(threadId: string, lockOwner: string, holder: string | null): WaypointError {
  return new WaypointError(
    "THREAD_BUSY",
    `The run lost the lock of thread "${threadId}"${holder ? " to another process" : ""}: the checkpoint was not saved.`,
    { threadId, fenced: true, lockOwner, owner: holder },
  );
}

/** `acquireLock`'s options; returns whether the latest checkpoint is wanted. */
export function wantsLatest(o: AcquireOptions | undefined): boolean {
  if (o === undefined) return false;
  if (typeof o !== "object" || o === null) throw bad("Lock options must be an object.");
  return o.latest === true;
}
