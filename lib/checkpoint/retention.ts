import { WaypointError } from "../errors";
import type { CheckpointStore, ThreadInfo, ThreadStatus } from "./types";

/**
 * Retention over the store contract alone, shared by the server's periodic job (per graph, from
 * waypoint.config.ts) and the `waypoint prune` command: delete threads that finished long enough ago, and trim
 * the rest to their newest checkpoints.
 *
 * Invariants:
 * - a thread with a run going ("running") is never touched, and each change holds the thread's run lock, so a
 *   run starting on another process meanwhile waits or is refused instead of losing its thread;
 * - an interrupted thread (a person's pending decision) is kept unless the rule says otherwise;
 * - trimming goes through `prune`, which keeps every branch tip (so every pending interrupt) and folds what it
 *   removes into the survivors: no surviving checkpoint loses its state.
 */
export interface RetentionRule {
  /** Only this graph's threads (null/undefined: every thread). */
  graphId?: string | null;
  /** Delete threads whose last update is older than this many ms and whose status is in `statuses`. */
  deleteAfterMs?: number | null;
  /** Statuses `deleteAfterMs` applies to (default: done only). */
  statuses?: readonly ThreadStatus[];
  /** Keep an interrupted thread however old, even if "interrupted" is in `statuses` (default true). */
  keepInterrupted?: boolean;
  /** Trim every kept (not running) thread to its newest N checkpoints, branch tips aside. */
  keepLatest?: number | null;
}

export interface RetentionAction {
  threadId: string;
  graphId: string | null;
  action: "delete" | "prune";
  /** Checkpoints removed (for a dry run: that would be). */
  checkpoints: number;
}

export interface RetentionReport {
  threadsScanned: number;
  threadsDeleted: number;
  checkpointsDeleted: number;
  threadsPruned: number;
  /** Threads skipped because a run held their lock at that moment (retried on the next pass). */
  busy: number;
  actions: RetentionAction[];
}

export interface RetentionOptions {
  /** Plan only: report what would be removed, change nothing. */
  dryRun?: boolean;
  now?: number;
  /** Called for each action as it is taken (progress, logs). */
  onAction?: (a: RetentionAction) => void;
  /** Keep at most this many actions in the report (default 1,000; totals always count everything). */
  maxReported?: number;
}

const OWNER = "waypoint-retention";
const LOCK_MS = 60_000;

/** A duration as configs and the command line write it: "30d", "12h", "90m", "45s", "500ms", "1.5w". */
export const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i;

/** A DURATION (or a number of ms) → ms. */
export function parseDuration(text: string | number): number {
  if (typeof text === "number" && Number.isFinite(text) && text >= 0) return text;
  const m = DURATION.exec(String(text));
  if (!m) throw new WaypointError("INVALID_ARGUMENT", `"${text}" is not a duration: write e.g. 30d, 12h, 90m or 45s.`);
  const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[m[2].toLowerCase() as "ms"];
  return Math.round(Number(m[1]) * unit);
}

export function checkRule(rule: RetentionRule): void {
  if (rule.keepLatest != null && (!Number.isInteger(rule.keepLatest) || rule.keepLatest < 1))
    throw new WaypointError("INVALID_ARGUMENT", "keepLatest must be a whole number of at least 1.");
  if (rule.deleteAfterMs != null && !(rule.deleteAfterMs >= 0)) throw new WaypointError("INVALID_ARGUMENT", "deleteAfter must not be negative.");
  if (rule.deleteAfterMs == null && rule.keepLatest == null)
    throw new WaypointError("INVALID_ARGUMENT", "A retention rule needs deleteAfter, keepLatest or both.");
}

/** How many checkpoints `prune(threadId, keep)` would remove: all but the newest `keep` and the branch tips. */
async function wouldPrune(store: CheckpointStore, t: ThreadInfo, keep: number): Promise<number> {
  if (t.checkpointCount <= keep) return 0;
  const all = await store.listSummaries(t.threadId, { order: "desc" });
  const parents = new Set(all.map((c) => c.parentId).filter((p): p is string => p !== null));
  return all.slice(keep).filter((c) => parents.has(c.id)).length;
}

export async function applyRetention(store: CheckpointStore, rule: RetentionRule, opts: RetentionOptions = {}): Promise<RetentionReport> {
  checkRule(rule);
  const now = opts.now ?? Date.now();
  const statuses = new Set<ThreadStatus>(rule.statuses ?? ["done"]);
  if (rule.keepInterrupted !== false) statuses.delete("interrupted");
  statuses.delete("running");
  const maxReported = opts.maxReported ?? 1000;
  const report: RetentionReport = { threadsScanned: 0, threadsDeleted: 0, checkpointsDeleted: 0, threadsPruned: 0, busy: 0, actions: [] };
  const record = (a: RetentionAction) => {
    if (report.actions.length < maxReported) report.actions.push(a);
    opts.onAction?.(a);
  };

  // Collect first, then change: deleting while paging would move the cursor's ground under it.
  const threads: ThreadInfo[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listThreads({ graphId: rule.graphId ?? undefined, limit: 500, cursor });
    threads.push(...page.threads);
    cursor = page.nextCursor;
  } while (cursor);

  for (const seen of threads) {
    report.threadsScanned++;
    if (seen.status === "running") continue;
    const expired = rule.deleteAfterMs != null && statuses.has(seen.status) && now - Date.parse(seen.updatedAt) >= rule.deleteAfterMs;
    const trim = !expired && rule.keepLatest != null && seen.checkpointCount > rule.keepLatest;
    if (!expired && !trim) continue;
    if (opts.dryRun) {
      const checkpoints = expired ? seen.checkpointCount : await wouldPrune(store, seen, rule.keepLatest!);
      if (expired || checkpoints > 0) {
        record({ threadId: seen.threadId, graphId: seen.graphId, action: expired ? "delete" : "prune", checkpoints });
        if (expired) report.threadsDeleted++;
        else report.threadsPruned++;
        report.checkpointsDeleted += checkpoints;
      }
      continue;
    }
    const lock = await store.acquireLock(seen.threadId, OWNER, LOCK_MS);
    if (!lock.acquired) {
      report.busy++;
      continue;
    }
    try {
      // Re-read under the lock: a run may have moved the thread since the listing.
      const t = await store.getThread(seen.threadId).catch(() => null);
      if (!t || t.status === "running") continue;
      if (expired && statuses.has(t.status) && t.updatedAt === seen.updatedAt) {
        await store.clear(t.threadId);
        report.threadsDeleted++;
        report.checkpointsDeleted += t.checkpointCount;
        record({ threadId: t.threadId, graphId: t.graphId, action: "delete", checkpoints: t.checkpointCount });
      } else if (rule.keepLatest != null && t.checkpointCount > rule.keepLatest) {
        const removed = await store.prune(t.threadId, rule.keepLatest);
        if (removed > 0) {
          report.threadsPruned++;
          report.checkpointsDeleted += removed;
          record({ threadId: t.threadId, graphId: t.graphId, action: "prune", checkpoints: removed });
        }
      }
    } finally {
      // `clear` removed the lock with the thread; releasing a lock nobody holds does nothing.
      await store.releaseLock(seen.threadId, OWNER).catch(() => {});
    }
  }
  return report;
}
