import "server-only";
import { errFields, log } from "../log";
import { nextFire } from "./cron";
import type { ScheduleDriver } from "./driver";
import type { ScheduleRepo, ScheduleRow } from "./store";

/** A tick missed by more than this (the server was down) is skipped, as the queues' schedulers skip it. */
const MISSED_MS = 60_000;

/**
 * The in-process scheduler, for deployments without a queue (SQLite, file and memory stores, and PostgreSQL /
 * Redis with WAYPOINT_EXECUTE=local): every second it reads the schedules whose tick (`nextRunAt`) has come,
 * moves each tick on to the next fire with a compare-and-set in the accounts database, and fires the ones it
 * moved. Several processes on the same database may run this loop: only one wins each compare-and-set, so a
 * tick fires once. One-second resolution, so six-field (seconds) expressions work here.
 */
export function startScheduleTimer(repo: ScheduleRepo, fire: (s: ScheduleRow) => Promise<unknown>): ScheduleDriver {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const tick = async () => {
    const now = new Date();
    for (const s of await repo.due(now)) {
      const due = s.nextRunAt!;
      if (!(await repo.claim(s.id, due, nextFire(s.cron, s.timezone, now)))) continue;
      if (now.getTime() - due.getTime() > MISSED_MS) {
        log().info(
          { scheduleId: s.id, missed: due.toISOString() },
          `schedule ${s.id}: skipped the tick of ${due.toISOString()} (the server was not running)`,
        );
        continue;
      }
      // Not awaited: a slow start (a busy store) must not hold back the other schedules' ticks.
      fire(s).catch((err: unknown) => log().error(errFields(err), `schedule ${s.id} could not fire`));
    }
  };
  const loop = async () => {
    await tick().catch((err: unknown) => log().error(errFields(err), "reading the due schedules failed"));
    if (stopped) return;
    // Just after the next whole second, when six-field expressions tick.
    timer = setTimeout(() => void loop(), 1_005 - (Date.now() % 1_000));
    timer.unref?.();
  };
  void loop();
  return {
    kind: "in-process",
    // Every save sets the row's tick (service.ts); the loop reads it within a second.
    saved: async () => {},
    removed: async () => {},
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
