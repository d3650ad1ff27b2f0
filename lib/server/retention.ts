import "server-only";
import { applyRetention, parseDuration, type RetentionReport } from "../checkpoint/retention";
import type { CheckpointStore } from "../checkpoint/types";
import type { GraphDefinition } from "../config/graph";
import { errFields, log } from "./log";
import { metrics } from "./metrics";
import { settings } from "./config";

/**
 * The periodic retention job: each graph's `retention` policy from waypoint.config.ts, applied shortly after
 * start and then every WAYPOINT_RETENTION_INTERVAL_MS (settings(): default one hour; 0 turns the job off). Every server
 * process without a queue runs this timer; the passes are idempotent and each change holds the thread's lock
 * (lib/checkpoint/retention.ts), so several processes doing it at once delete nothing twice. With a queue (workers),
 * the passes run on the queue's cron instead, in whichever worker takes the tick (queue/retention.ts), and web
 * instances run no timer. Each pass is logged, and counted in waypoint_retention_*_total.
 */
/** One pass over every graph with a policy. Errors of one graph are logged; the others still run. */
export async function retentionPass(store: CheckpointStore, graphs: GraphDefinition[], now = Date.now()): Promise<Map<string, RetentionReport>> {
  const out = new Map<string, RetentionReport>();
  for (const g of graphs) {
    const policy = g.retention;
    if (!policy) continue;
    try {
      const report = await applyRetention(
        store,
        {
          graphId: g.id,
          deleteAfterMs: policy.deleteAfter ? parseDuration(policy.deleteAfter) : null,
          statuses: policy.statuses,
          keepInterrupted: policy.keepInterrupted,
          keepLatest: policy.keepLatest ?? null,
        },
        { now, maxReported: 0 },
      );
      out.set(g.id, report);
      metrics().retention(g.id, report.threadsDeleted, report.checkpointsDeleted);
      if (report.threadsDeleted || report.checkpointsDeleted || report.busy)
        log().info(
          {
            graph: g.id,
            threadsDeleted: report.threadsDeleted,
            threadsPruned: report.threadsPruned,
            checkpointsDeleted: report.checkpointsDeleted,
            busy: report.busy,
          },
          `retention on ${g.id}: ${report.threadsDeleted} threads deleted, ${report.threadsPruned} trimmed, ${report.checkpointsDeleted} checkpoints removed`,
        );
    } catch (err) {
      log().error({ graph: g.id, ...errFields(err) }, `retention on ${g.id} failed`);
    }
  }
  return out;
}

/** Starts the job (no-op when no graph has a policy or the interval is 0); returns a stop function. */
export function startRetention(store: CheckpointStore, graphs: GraphDefinition[], intervalMs = settings().retentionIntervalMs): () => void {
  if (intervalMs === 0 || !graphs.some((g) => g.retention)) return () => {};
  let running = false;
  const pass = async () => {
    if (running) return;
    running = true;
    try {
      await retentionPass(store, graphs);
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void pass(), Math.min(intervalMs, 10_000));
  const timer = setInterval(() => void pass(), intervalMs);
  first.unref?.();
  timer.unref?.();
  log().info({ graphs: graphs.filter((g) => g.retention).map((g) => g.id), intervalMs }, "retention policies active");
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
