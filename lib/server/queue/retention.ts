/**
 * The retention job on a deployment with workers: one cron entry on the queue (pg-boss `schedule`, a BullMQ job
 * scheduler), which fires once per tick across all workers; the worker that takes a fire runs one
 * `retentionPass` (lib/server/retention.ts). A second delivery of a tick, or two ticks at once on two workers,
 * delete nothing twice: passes are idempotent and each change holds the thread's run lock. Web instances with a
 * queue (WAYPOINT_EXECUTE=off) run no retention timer; processes without one keep theirs (startRetention).
 */
import { WaypointError } from "../../errors";
import type { CheckpointStore } from "../../checkpoint/types";
import type { GraphDefinition } from "../../config/graph";
import type { ServerSettings } from "../config";
import { log } from "../log";
import { retentionPass } from "../retention";
import { hasSeconds } from "../schedules/cron";
import type { RunQueue } from "./types";

/**
 * The cron expression (UTC) for a retention interval: the nearest whole-minute step that divides the hour, or
 * whole-hour step that divides the day, at or under the interval (so the job never runs less often than asked);
 * a day or more is daily at midnight UTC. 1 h (the default) → "0 * * * *"; 10 min → "*\/10 * * * *"; 45 min →
 * "*\/30 * * * *"; 90 s → "* * * * *" (a minute is the finest step pg-boss fires).
 */
export function intervalCron(intervalMs: number): string {
  const minutes = Math.max(1, Math.floor(intervalMs / 60_000));
  if (minutes < 60) {
    const step = largestDivisorUpTo(60, minutes);
    return step === 1 ? "* * * * *" : `*/${step} * * * *`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const step = largestDivisorUpTo(24, hours);
    return step === 1 ? "0 * * * *" : `0 */${step} * * *`;
  }
  return "0 0 * * *";
}

function largestDivisorUpTo(n: number, max: number): number {
  for (let d = max; d > 1; d--) if (n % d === 0) return d;
  return 1;
}

/** The entry this deployment wants: null when the job is off (interval 0) or no graph has a policy. */
export function retentionCron(s: Pick<ServerSettings, "retentionIntervalMs" | "retentionCron">, graphs: GraphDefinition[]): string | null {
  if (s.retentionIntervalMs === 0 || !graphs.some((g) => g.retention)) return null;
  return s.retentionCron ?? intervalCron(s.retentionIntervalMs);
}

/**
 * A worker's start: (re)registers the entry — idempotent, and it removes the entry when the job is off — then
 * takes its fires. A seconds field on pg-boss, which fires at most once a minute, stops the start in one sentence.
 */
export async function startQueuedRetention(deps: {
  queue: RunQueue;
  store: CheckpointStore;
  graphs: GraphDefinition[];
  settings: Pick<ServerSettings, "retentionIntervalMs" | "retentionCron">;
  workerId: string;
}): Promise<string | null> {
  const { queue, store, graphs, workerId } = deps;
  const cron = retentionCron(deps.settings, graphs);
  if (cron && queue.kind === "pg-boss" && hasSeconds(cron))
    throw new WaypointError(
      "STORE_CONFIG",
      `WAYPOINT_RETENTION_CRON "${cron}" has a seconds field, but pg-boss fires at most once a minute: use five fields.`,
    );
  await queue.setRetention(cron);
  // Taken even with the job off here: a tick queued before the entry went finds no policy and does nothing.
  await queue.workRetention(async (tickId) => {
    const started = Date.now();
    const reports = await retentionPass(store, graphs);
    let threads = 0;
    let checkpoints = 0;
    for (const r of reports.values()) {
      threads += r.threadsDeleted;
      checkpoints += r.checkpointsDeleted;
    }
    log().info(
      { worker: workerId, tick: tickId, queue: queue.kind, threadsDeleted: threads, checkpointsDeleted: checkpoints, ms: Date.now() - started },
      `retention tick ${tickId} on worker ${workerId}: ${threads} threads deleted, ${checkpoints} checkpoints removed`,
    );
  });
  if (cron)
    log().info(
      { graphs: graphs.filter((g) => g.retention).map((g) => g.id), cron, queue: queue.kind },
      `retention policies run on the workers through ${queue.kind} (cron "${cron}", UTC)`,
    );
  return cron;
}
