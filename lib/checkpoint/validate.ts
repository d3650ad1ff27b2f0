import { WaypointError } from "../errors";
import { assertSafeId } from "./ids";
import type { ListOptions, NewCheckpoint, ThreadPatch, ThreadStatus } from "./types";

const bad = (message: string) => new WaypointError("INVALID_ARGUMENT", message);
const STATUSES: ThreadStatus[] = ["idle", "running", "interrupted", "done", "error"];

/** Checks a checkpoint before any store touches its backing storage, so bad input changes nothing. */
export function validateNewCheckpoint(cp: NewCheckpoint): void {
  if (typeof cp !== "object" || cp === null) throw bad("Checkpoint must be an object.");
  assertSafeId(cp.id, "checkpoint");
  assertSafeId(cp.threadId, "thread");
  if (cp.parentId !== null) assertSafeId(cp.parentId, "checkpoint");
  if (cp.parentId === cp.id) throw bad("A checkpoint cannot be its own parent.");
  if (!Number.isInteger(cp.step)) throw bad("Checkpoint step must be an integer.");
  if (typeof cp.nodeName !== "string") throw bad("Checkpoint nodeName must be a string.");
  if (typeof cp.state !== "object" || cp.state === null || Array.isArray(cp.state)) throw bad("Checkpoint state must be an object.");
  if (!Array.isArray(cp.next) || !cp.next.every((n) => typeof n === "string")) throw bad("Checkpoint next must be a list of node names.");
  if (!Array.isArray(cp.interrupts)) throw bad("Checkpoint interrupts must be a list.");
  if (!Array.isArray(cp.pendingWrites)) throw bad("Checkpoint pendingWrites must be a list.");
  if (typeof cp.metadata !== "object" || cp.metadata === null) throw bad("Checkpoint metadata must be an object.");
  if (typeof cp.timestamp !== "string" || Number.isNaN(Date.parse(cp.timestamp))) throw bad("Checkpoint timestamp must be an ISO date string.");
}

export function validateListOptions(o: ListOptions | undefined): Required<Pick<ListOptions, "order">> & ListOptions {
  const opts = o ?? {};
  if (opts.order !== undefined && opts.order !== "asc" && opts.order !== "desc") throw bad(`order must be "asc" or "desc".`);
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 1)) throw bad("limit must be a positive integer.");
  for (const k of ["before", "after"] as const) {
    if (opts[k] !== undefined && !Number.isInteger(opts[k])) throw bad(`${k} must be an integer version.`);
  }
  return { ...opts, order: opts.order ?? "asc" };
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
