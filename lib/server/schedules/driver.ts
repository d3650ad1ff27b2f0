import "server-only";
import type { ApiSchedule } from "../../api/responses";
import type { RunQueue } from "../queue/types";
import type { ScheduleRow } from "./store";

/**
 * What makes schedules fire on this deployment. With a queue (WAYPOINT_EXECUTE=off) it is the queue's own
 * scheduler — pg-boss `schedule`, BullMQ `upsertJobScheduler` — which fires each tick once however many workers
 * there are; without one, the web process's timer (timer.ts). The service tells it of every change after the
 * row is saved, so the row is the truth and the driver follows it.
 */
export interface ScheduleDriver {
  readonly kind: ApiSchedule["firedBy"];
  /** A schedule was created or changed: fire it by its cron from now on, or never while it is paused. */
  saved(s: ScheduleRow): Promise<void>;
  removed(scheduleId: string): Promise<void>;
  stop(): void;
}

export function queueDriver(queue: RunQueue): ScheduleDriver {
  return {
    kind: queue.kind,
    saved: (s) => (s.paused ? queue.removeSchedule(s.id) : queue.setSchedule(s.id, s.cron, s.timezone)),
    removed: (id) => queue.removeSchedule(id),
    stop: () => {},
  };
}
