import { Queue, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { errFields, log } from "../log";
import { QUEUE_NAME, RetryLater, type JobState, type RunJob, type RunQueue } from "./types";
import { redisWaitingRuns } from "./waiting-redis";

/** Where the job schedulers put their fires (scheduled runs): a queue of its own beside the run queue. */
const SCHEDULE_QUEUE = "waypoint-schedules";
type ScheduleFire = { scheduleId: string };
/** The retention job's fires (queue/retention.ts): a queue of their own, with one job scheduler. */
const MAINTENANCE_QUEUE = "waypoint-maintenance";
const RETENTION_SCHEDULER = "retention";

/**
 * The queue on Redis: BullMQ, under the store's key prefix. A worker holds a lock on each job it works on and
 * renews it; a killed worker's job is found "stalled" once the lock expires (`lockMs`, the run lock's lease)
 * and offered to another worker, which continues the thread from its last checkpoint (job.ts).
 * Deduplication by thread: a second run job is refused while the first is waiting or running.
 */
export async function openBullMq(url: string, opts: { prefix: string; lockMs: number }): Promise<RunQueue> {
  // BullMQ wants commands that wait for a reconnect rather than fail (maxRetriesPerRequest: null).
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  connection.on("error", (err) => log().error(errFields(err), `job queue (BullMQ): ${err.message}`));
  const prefix = `${opts.prefix}bull`;
  const queue = new Queue<RunJob>(QUEUE_NAME, { connection, prefix });
  queue.on("error", (err) => log().error(errFields(err), `job queue (BullMQ): ${err.message}`));
  await queue.waitUntilReady();
  // The schedulers' fires go to a queue of their own, so the run queue's jobs stay run jobs.
  const schedules = new Queue<ScheduleFire>(SCHEDULE_QUEUE, { connection, prefix });
  schedules.on("error", (err) => log().error(errFields(err), `job queue (BullMQ): ${err.message}`));
  const maintenance = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
  maintenance.on("error", (err) => log().error(errFields(err), `job queue (BullMQ): ${err.message}`));
  let worker: Worker<RunJob> | null = null;
  let retentionWorker: Worker | null = null;
  let scheduleWorker: Worker<ScheduleFire> | null = null;
  const kept = { removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } };
  return {
    kind: "bullmq",
    waiting: redisWaitingRuns(connection, `${opts.prefix}queue:`),
    async enqueue(job, how) {
      if (how?.queued) {
        // No deduplication by thread (the job that promotes it may still be active); the id makes a second add a no-op.
        const added = await queue.add(
          "run",
          { ...job, queued: true },
          { jobId: job.runId, attempts: 20, backoff: { type: "exponential", delay: 1000 }, ...kept },
        );
        return added.id === job.runId;
      }
      const added = await queue.add("run", job, {
        jobId: job.runId,
        deduplication: { id: `run:${job.threadId}` },
        attempts: 20,
        backoff: { type: "exponential", delay: 1000 },
        ...kept,
      });
      return added.id === job.runId;
    },
    async enqueueContinue(threadId, graphId) {
      const job: RunJob = { kind: "continue", threadId, graphId };
      await queue.add("continue", job, {
        deduplication: { id: `continue:${threadId}` },
        attempts: 5,
        backoff: { type: "exponential", delay: 1000 },
        ...kept,
      });
    },
    async state(runId): Promise<JobState> {
      const s = await queue.getJobState(runId);
      if (s === "active") return "active";
      if (s === "completed" || s === "failed") return "finished";
      return s === "unknown" ? "unknown" : "waiting";
    },
    async work(concurrency, handler) {
      worker = new Worker<RunJob>(
        QUEUE_NAME,
        async (job: Job<RunJob>) => {
          try {
            // A stalled job taken again counts as another delivery too.
            await handler(job.data, job.attemptsMade + (job.stalledCounter ?? 0));
          } catch (err) {
            if (err instanceof RetryLater) log().info({ threadId: job.data.threadId }, err.message);
            throw err;
          }
        },
        {
          connection,
          prefix,
          concurrency,
          lockDuration: opts.lockMs,
          stalledInterval: Math.max(1000, Math.floor(opts.lockMs / 2)),
          // A run may outlive several killed workers; each time it is continued from its last checkpoint.
          maxStalledCount: 1000,
        },
      );
      worker.on("error", (err) => log().error(errFields(err), `job queue worker (BullMQ): ${err.message}`));
      await worker.waitUntilReady();
    },
    async setSchedule(scheduleId, cron, timezone) {
      // One tick, one job: BullMQ gives each fire the id "repeat:<scheduler>:<time>", whoever adds it.
      await schedules.upsertJobScheduler(
        scheduleId,
        { pattern: cron, tz: timezone },
        { name: "fire", data: { scheduleId }, opts: { attempts: 3, backoff: { type: "exponential", delay: 1000 }, ...kept } },
      );
    },
    async removeSchedule(scheduleId) {
      await schedules.removeJobScheduler(scheduleId);
    },
    async workSchedules(handler) {
      scheduleWorker = new Worker<ScheduleFire>(
        SCHEDULE_QUEUE,
        async (job) => handler(job.data.scheduleId, job.id ?? `${job.data.scheduleId}:${job.timestamp}`),
        {
          connection,
          prefix,
          concurrency: 2,
          lockDuration: opts.lockMs,
        },
      );
      scheduleWorker.on("error", (err) => log().error(errFields(err), `job queue worker (BullMQ): ${err.message}`));
      await scheduleWorker.waitUntilReady();
    },
    async setRetention(cron) {
      if (cron === null) return void (await maintenance.removeJobScheduler(RETENTION_SCHEDULER));
      // Upserting the same pattern again (every worker's start) keeps the entry and its next tick.
      await maintenance.upsertJobScheduler(
        RETENTION_SCHEDULER,
        { pattern: cron, tz: "UTC" },
        { name: "retention", data: {}, opts: { attempts: 2, backoff: { type: "fixed", delay: 30_000 }, ...kept } },
      );
    },
    async workRetention(handler) {
      retentionWorker = new Worker(MAINTENANCE_QUEUE, async (job: Job) => handler(job.id ?? `retention:${job.timestamp}`), {
        connection,
        prefix,
        concurrency: 1,
        // Renewed while the pass goes on; a killed worker's tick is offered again once it lapses (harmless).
        lockDuration: opts.lockMs,
      });
      retentionWorker.on("error", (err) => log().error(errFields(err), `job queue worker (BullMQ): ${err.message}`));
      await retentionWorker.waitUntilReady();
    },
    async stopTaking() {
      // Stop fetching; jobs in hand go on (the caller waits for them).
      await worker?.pause(true);
      await scheduleWorker?.pause(true);
      await retentionWorker?.pause(true);
    },
    async close() {
      await worker?.close();
      await scheduleWorker?.close();
      await retentionWorker?.close();
      await schedules.close();
      await maintenance.close();
      await queue.close();
      connection.disconnect();
    },
  };
}
