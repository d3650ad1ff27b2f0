import type { RunRequest } from "../run-request";

/**
 * What travels through the queue (lib/server/queue): a run to execute, or a thread to continue from its last
 * checkpoint (a stopped or killed worker's run; see sweeper.ts). Plain JSON, as both queues store it.
 */
export type RunJob =
  | { kind: "run"; runId: string; threadId: string; graphId: string; request: RunRequest; queued?: boolean }
  | { kind: "continue"; threadId: string; graphId: string };

/** A run job; `queued`: it waited in the thread's waiting list (multitaskStrategy "enqueue", promote.ts). */
export type QueuedRunJob = Extract<RunJob, { kind: "run" }>;

/**
 * The runs asked for with multitaskStrategy "enqueue" while their thread was busy, per thread in the order asked,
 * kept in the queue's store (waiting-pg.ts, waiting-redis.ts) so they outlive the web instance that accepted them.
 */
export interface WaitingRuns {
  push(job: QueuedRunJob): Promise<void>;
  /** The thread's waiting runs, first to go first. */
  list(threadId: string): Promise<QueuedRunJob[]>;
  remove(runId: string, threadId: string): Promise<void>;
  /** Threads with waiting runs (for the workers' sweep). */
  threads(): Promise<string[]>;
}

/** How a job ended, as far as the queue knows (a web instance waiting on `wait: true` polls it). */
export type JobState = "waiting" | "active" | "finished" | "unknown";

/**
 * The one queue this deployment uses: pg-boss when the store is PostgreSQL (pgboss.ts), BullMQ when it is Redis
 * (bullmq.ts). Delivery is at least once; the handler (job.ts) makes a second delivery harmless, and the
 * engine's per-thread run lock makes every step run once.
 */
export interface RunQueue {
  readonly kind: "pg-boss" | "bullmq";
  /**
   * Adds a run job; false when a run job for the same thread is already waiting to be taken. `queued`: a run
   * promoted from the waiting list — no such check, and adding it again (same run id) adds nothing.
   */
  enqueue(job: QueuedRunJob, opts?: { queued?: boolean }): Promise<boolean>;
  readonly waiting: WaitingRuns;
  /** Adds a continue job unless one for the thread is already waiting. */
  enqueueContinue(threadId: string, graphId: string): Promise<void>;
  state(runId: string): Promise<JobState>;
  /** Starts taking jobs, `concurrency` at once; `attempt` counts deliveries of the same job from 0. */
  work(concurrency: number, handler: (job: RunJob, attempt: number) => Promise<void>): Promise<void>;
  /**
   * Run jobs taken at least `olderThanMs` ago and still "active", for queues without a job heartbeat
   * (pg-boss): `stranded` says which belong to a dead worker; those are offered again. Absent on BullMQ,
   * whose stalled-job check does this itself.
   */
  reclaim?(olderThanMs: number, stranded: (job: Extract<RunJob, { kind: "run" }>) => Promise<boolean>): Promise<number>;
  /**
   * Scheduled runs (lib/server/schedules): registers (or replaces) the queue's own cron entry for the schedule,
   * which fires it once per tick across all workers — pg-boss `schedule` (at most once a minute), BullMQ
   * `upsertJobScheduler` (to the second).
   */
  setSchedule(scheduleId: string, cron: string, timezone: string): Promise<void>;
  /** Removes the schedule's cron entry; fires already queued find the schedule gone or paused and do nothing. */
  removeSchedule(scheduleId: string): Promise<void>;
  /** Workers: takes the schedulers' fires; `fireId` is unique per tick (the same on a second delivery). */
  workSchedules(handler: (scheduleId: string, fireId: string) => Promise<void>): Promise<void>;
  /**
   * The retention job (retention.ts): registers (or replaces) its one cron entry, in UTC — `null` removes it. Like
   * a schedule's, the entry fires once per tick across all workers (pg-boss: at most once a minute).
   */
  setRetention(cron: string | null): Promise<void>;
  /** Workers: takes the retention job's fires, one at a time per worker; `tickId` is unique per tick. */
  workRetention(handler: (tickId: string) => Promise<void>): Promise<void>;
  /**
   * Whether this delivery (`attempt`) of the run job is no longer the job's current one: `reclaim` offered it
   * again meanwhile. Absent on BullMQ (its job lock already says so).
   */
  superseded?(runId: string, attempt: number): Promise<boolean>;
  /** Stops taking new jobs; jobs in hand go on. */
  stopTaking(): Promise<void>;
  close(): Promise<void>;
}

export const QUEUE_NAME = "waypoint-runs";

/** Thrown by a handler that should be offered again later (the thread runs another run just now). */
export class RetryLater extends Error {}
