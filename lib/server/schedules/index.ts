import "server-only";
import type { AccountsDb } from "../auth/db";
import type { RunQueue } from "../queue/types";
import { errFields, log } from "../log";
import { queueDriver, type ScheduleDriver } from "./driver";
import { fireSchedule, type FireDeps } from "./fire";
import { ScheduleRepo } from "./store";
import { startScheduleTimer } from "./timer";

/** Scheduled runs in a web process: the rows and what fires them (the queue's scheduler, or the timer). */
export interface Schedules {
  repo: ScheduleRepo;
  driver: ScheduleDriver;
}

/**
 * With a queue, every schedule is (re)registered with the queue's scheduler at start-up — idempotent, and it
 * mends a queue that lost its entries or a deployment that just switched to workers. Without one, this
 * process's timer fires them.
 */
export async function openSchedules(db: AccountsDb, deps: Omit<FireDeps, "repo">, queue: RunQueue | null): Promise<Schedules> {
  const repo = new ScheduleRepo(db);
  if (!queue) return { repo, driver: startScheduleTimer(repo, (s) => fireSchedule({ ...deps, repo }, s)) };
  const driver = queueDriver(queue);
  for (const s of await repo.list())
    await driver.saved(s).catch((err: unknown) => log().error(errFields(err), `schedule ${s.id} could not be registered with ${queue.kind}`));
  return { repo, driver };
}

/**
 * A worker's handling of a "schedule" job the queue's scheduler fired: the schedule as it is now (deleted or
 * paused since: nothing), fired with the job's id so a second delivery starts nothing more.
 */
export async function fireQueued(deps: FireDeps, scheduleId: string, fireId: string): Promise<void> {
  const s = await deps.repo.find(scheduleId);
  if (!s || s.paused) return;
  await fireSchedule(deps, s, fireId);
}
