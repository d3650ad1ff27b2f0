import { createHash } from "node:crypto";
import type { Checkpoint, CheckpointStore, ThreadInfo, ThreadStatus } from "../checkpoint/types";
import type { AuditRow } from "./audit";

/**
 * The export format, JSON Lines (one JSON object per line, UTF-8):
 *   {"type":"header","format":"waypoint-export","version":1,"exportedAt":"…","store":"sqlite"}
 *   {"type":"thread","thread":{…ThreadInfo}}            then that thread's checkpoints, oldest version first
 *   {"type":"checkpoint","checkpoint":{…Checkpoint}}    whole: state, pending writes (with appendWrites' idx,
 *                                                        taskPath, encoding), metadata, version, parent, namespace
 *   {"type":"audit","entry":{…AuditRow}}              format 2: the decision audit trail's entries (lib/cli/audit.ts)
 *   {"type":"end","threads":N,"checkpoints":M,"audit":K}
 * Parents always come before their children (a parent's version is lower), so an import can write in file order.
 * A file without audit entries is written as format 1, which older versions still read.
 */
export const FORMAT = "waypoint-export";
export const FORMAT_VERSION = 2;

export type ArchiveLine =
  | { type: "header"; format: typeof FORMAT; version: number; exportedAt: string; store: string }
  | { type: "thread"; thread: ThreadInfo }
  | { type: "checkpoint"; checkpoint: Checkpoint }
  | { type: "audit"; entry: AuditRow }
  | { type: "end"; threads: number; checkpoints: number; audit?: number };

/** Which threads a command works on. */
export interface ThreadSelection {
  threadIds?: string[];
  graphId?: string;
  status?: ThreadStatus;
  /** Only threads not updated for this many ms. */
  olderThanMs?: number;
  now?: number;
}

/** JSON with object keys sorted at every level: the same value gives the same text whatever store it came from. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const keys = Object.keys(value as object)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
}

/** What identifies a checkpoint's content across stores (everything the contract stores). */
export function checkpointDigest(c: Checkpoint): string {
  const { id, threadId, namespace, parentId, version, step, nodeName, state, next, interrupts, pendingWrites, metadata, timestamp } = c;
  // `namespace` is absent for the root graph (and `canonical` skips undefined): root digests are as before it existed.
  return createHash("sha256")
    .update(canonical({ id, threadId, namespace, parentId, version, step, nodeName, state, next, interrupts, pendingWrites, metadata, timestamp }))
    .digest("hex");
}

/** Threads matching the selection, paged from the store (a list of ids is read one by one). */
export async function* selectThreads(store: CheckpointStore, sel: ThreadSelection): AsyncGenerator<ThreadInfo> {
  const now = sel.now ?? Date.now();
  const old = (t: ThreadInfo) => sel.olderThanMs === undefined || now - Date.parse(t.updatedAt) >= sel.olderThanMs;
  if (sel.threadIds?.length) {
    for (const id of sel.threadIds) {
      const t = await store.getThread(id);
      if ((!sel.graphId || t.graphId === sel.graphId) && (!sel.status || t.status === sel.status) && old(t)) yield t;
    }
    return;
  }
  let cursor: string | null = null;
  do {
    const page = await store.listThreads({ graphId: sel.graphId, status: sel.status, limit: 200, cursor });
    for (const t of page.threads) if (old(t)) yield t;
    cursor = page.nextCursor;
  } while (cursor);
}

/** A thread's checkpoints with their states, oldest version first, read in pages (never the whole thread at once). */
export async function* threadCheckpoints(store: CheckpointStore, threadId: string, pageSize = 200): AsyncGenerator<Checkpoint> {
  let after = 0;
  for (;;) {
    const page = await store.list(threadId, { order: "asc", after, limit: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1].version;
  }
}

/** The digest of a whole thread: its checkpoints' digests in version order, and how many there are. */
export async function threadDigest(store: CheckpointStore, threadId: string): Promise<{ digest: string; checkpoints: number }> {
  const h = createHash("sha256");
  let checkpoints = 0;
  for await (const c of threadCheckpoints(store, threadId)) {
    h.update(checkpointDigest(c));
    checkpoints++;
  }
  return { digest: h.digest("hex"), checkpoints };
}

/** The thread-record fields an import sets (the rest is maintained by the store). */
export function recordPatch(t: ThreadInfo) {
  return { graphId: t.graphId, status: t.status, error: t.error, metadata: t.metadata };
}

/** Whether the target's record already carries the source's fields (then an import leaves it alone). */
export function sameRecord(a: ThreadInfo, b: ThreadInfo): boolean {
  return canonical(recordPatch(a)) === canonical(recordPatch(b));
}
