import "server-only";
import { WaypointError } from "../../errors";
import type { AccountsDb } from "../auth/db";
import type { Schedule as Row } from "../../generated/sqlite/client";

/**
 * Schedules live in the accounts database (auth/db.ts): SQLite or PostgreSQL whatever the checkpoint store is,
 * shared by every web instance and worker of a deployment, and migrated with the other tables. Each row is the
 * schedule's definition plus what its last fire did; `nextRunAt` is the in-process scheduler's claim
 * (timer.ts), moved on with a compare-and-set so that one process fires each tick.
 */
export type ScheduleRow = Row;

export interface NewSchedule {
  id: string;
  graphId: string;
  cron: string;
  timezone: string;
  input: Record<string, unknown>;
  threadId: string | null;
  paused: boolean;
  createdBy: string;
  nextRunAt: Date | null;
}

export type ScheduleChange = Partial<Pick<NewSchedule, "cron" | "timezone" | "input" | "threadId" | "paused" | "nextRunAt">>;

export function scheduleNotFound(id: string): WaypointError {
  return new WaypointError("SCHEDULE_NOT_FOUND", `Schedule "${id}" was not found.`, { scheduleId: id });
}

export class ScheduleRepo {
  constructor(private readonly db: AccountsDb) {}

  async list(): Promise<ScheduleRow[]> {
    return this.db.prisma.schedule.findMany({ orderBy: { createdAt: "asc" }, take: 1000 });
  }

  async get(id: string): Promise<ScheduleRow> {
    const row = await this.db.prisma.schedule.findUnique({ where: { id } });
    if (!row) throw scheduleNotFound(id);
    return row;
  }

  async find(id: string): Promise<ScheduleRow | null> {
    return this.db.prisma.schedule.findUnique({ where: { id } });
  }

  async create(s: NewSchedule): Promise<ScheduleRow> {
    return this.db.prisma.schedule.create({ data: { ...s, input: JSON.stringify(s.input) } });
  }

  async update(id: string, change: ScheduleChange): Promise<ScheduleRow> {
    const { input, ...rest } = change;
    const data = { ...rest, ...(input !== undefined ? { input: JSON.stringify(input) } : {}), updatedAt: new Date() };
    const { count } = await this.db.prisma.schedule.updateMany({ where: { id }, data });
    if (count === 0) throw scheduleNotFound(id);
    return this.get(id);
  }

  async delete(id: string): Promise<void> {
    const { count } = await this.db.prisma.schedule.deleteMany({ where: { id } });
    if (count === 0) throw scheduleNotFound(id);
  }

  /** What a fire did (a deleted schedule's fire records nothing). */
  async recordFire(id: string, fire: { threadId: string | null; runId: string | null; error: string | null }): Promise<void> {
    await this.db.prisma.schedule.updateMany({
      where: { id },
      data: { lastRunAt: new Date(), lastThreadId: fire.threadId ?? undefined, lastRunId: fire.runId ?? undefined, lastError: fire.error },
    });
  }

  /** Unpaused schedules whose claimed tick has come (the in-process scheduler). */
  async due(now: Date): Promise<ScheduleRow[]> {
    return this.db.prisma.schedule.findMany({ where: { paused: false, nextRunAt: { lte: now } }, take: 500 });
  }

  /**
   * Moves the schedule's tick from `from` to `to`; true for the one process whose update found `from` still
   * there (the others see it moved and fire nothing).
   */
  async claim(id: string, from: Date, to: Date): Promise<boolean> {
    const { count } = await this.db.prisma.schedule.updateMany({ where: { id, paused: false, nextRunAt: from }, data: { nextRunAt: to } });
    return count === 1;
  }
}
