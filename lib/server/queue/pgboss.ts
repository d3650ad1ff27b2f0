import PgBoss from "pg-boss";
import { errFields, log } from "../log";
import { QUEUE_NAME, RetryLater, type JobState, type RunJob, type RunQueue } from "./types";
import { pgWaitingRuns } from "./waiting-pg";

/** Each schedule has its own queue: pg-boss v10 keeps one cron entry per queue name. */
const SCHEDULE_PREFIX = "waypoint-schedule.";
/** The retention job's queue and cron entry (one per deployment). */
const RETENTION_QUEUE = "waypoint-retention";

/**
 * The queue on PostgreSQL: pg-boss (v10, the newest major that runs on Node 20), in its own schema of the
 * store's database. Policy "short": at most one job per key waits to be taken (the key is the thread), while
 * another may be active — a second run on a thread is refused only while the first still waits.
 *
 * pg-boss v10 has no heartbeat: a job stays "active" until it completes or `expireInSeconds` passes. A killed
 * worker's run is therefore found through its thread (sweeper.ts, within the run lock's lease) — or, killed
 * before its run saved anything, through `reclaim`; the expired job comes back later and finds its run
 * finished (job.ts).
 */
export async function openPgBoss(url: string, opts: { expireInSeconds: number; poolSize: number; timekeeper?: boolean }): Promise<RunQueue> {
  const boss = new PgBoss({
    connectionString: url,
    schema: "waypoint_queue",
    max: opts.poolSize,
    // Supervision (expiring jobs, archiving) every 10 s is cheap; one instance does it per interval.
    maintenanceIntervalSeconds: 10,
    // The timekeeper (cron polling, clock-skew monitor) runs on workers only: it turns due cron entries into
    // jobs, once per tick across instances (pg-boss claims each check interval in its own table). Checked every
    // 5 s, so a fire comes at most ~5 s after its minute.
    schedule: opts.timekeeper ?? false,
    cronMonitorIntervalSeconds: 5,
    cronWorkerIntervalSeconds: 1,
  });
  boss.on("error", (err: Error) => log().error(errFields(err), `job queue (pg-boss): ${err.message}`));
  await boss.start();
  if (!(await boss.getQueue(QUEUE_NAME))) {
    await boss
      .createQueue(QUEUE_NAME, {
        name: QUEUE_NAME,
        policy: "short",
        expireInSeconds: opts.expireInSeconds,
        // RetryLater (the thread runs another run just now) and store errors: offered again with back-off.
        retryLimit: 20,
        retryDelay: 1,
        retryBackoff: true,
      })
      // Another process created it at the same moment.
      .catch((err: Error) => log().debug(errFields(err), "job queue already exists"));
  }
  const workers: string[] = [];
  /** Schedule queue name → the id of this worker's `work` on it. */
  const scheduleWork = new Map<string, string>();
  let scheduleSync: NodeJS.Timeout | null = null;
  const waiting = await pgWaitingRuns(boss.getDb());
  // A pass that throws (rare: retentionPass logs each graph's failure itself) is tried once more; a pass still
  // going after expireInSeconds is offered again, which is harmless (passes are idempotent).
  const ensureRetentionQueue = async () => {
    if (await boss.getQueue(RETENTION_QUEUE)) return;
    await boss
      .createQueue(RETENTION_QUEUE, { name: RETENTION_QUEUE, retryLimit: 1, retryDelay: 30, expireInSeconds: opts.expireInSeconds })
      .catch((err: Error) => log().debug(errFields(err), "retention queue already exists"));
  };
  return {
    kind: "pg-boss",
    waiting,
    async enqueue(job, how) {
      if (how?.queued) {
        // No singleton key: the id (the run's) is what makes a second promotion add nothing.
        const id = await boss.send(QUEUE_NAME, { ...job, queued: true }, { id: job.runId });
        return id !== null;
      }
      const id = await boss.send(QUEUE_NAME, job, { id: job.runId, singletonKey: `run:${job.threadId}` });
      return id !== null;
    },
    async enqueueContinue(threadId, graphId) {
      const job: RunJob = { kind: "continue", threadId, graphId };
      await boss.send(QUEUE_NAME, job, { singletonKey: `continue:${threadId}` });
    },
    async state(runId): Promise<JobState> {
      const job = await boss.getJobById(QUEUE_NAME, runId);
      if (!job) return "unknown";
      if (job.state === "active") return "active";
      return job.state === "created" || job.state === "retry" ? "waiting" : "finished";
    },
    async superseded(runId, attempt) {
      const job = await boss.getJobById(QUEUE_NAME, runId);
      return !job || job.state !== "active" || job.retryCount > attempt;
    },
    async reclaim(olderThanMs, stranded) {
      // pg-boss has no API listing active jobs; its own table (schema waypoint_queue) is read directly.
      const { rows } = await boss
        .getDb()
        .executeSql(
          `SELECT id, data FROM waypoint_queue.job WHERE name = $1 AND state = 'active' AND started_on < now() - make_interval(secs => $2) LIMIT 200`,
          [QUEUE_NAME, olderThanMs / 1000],
        );
      let n = 0;
      for (const row of rows as { id: string; data: RunJob }[]) {
        if (row.data.kind !== "run" || !(await stranded(row.data))) continue;
        // Failing an active job puts it back as "retry" (within its retry limit): another worker takes it.
        await boss.fail(QUEUE_NAME, row.id, { reason: "its worker stopped before the run saved a checkpoint" });
        n++;
      }
      return n;
    },
    async work(concurrency, handler) {
      // v10 has no per-worker concurrency: each `work` is one fetch-then-handle loop, so start N of them.
      for (let i = 0; i < concurrency; i++)
        workers.push(
          await boss.work<RunJob>(QUEUE_NAME, { batchSize: 1, pollingIntervalSeconds: 0.5, includeMetadata: true }, async ([job]) => {
            try {
              await handler(job.data, job.retryCount);
            } catch (err) {
              if (err instanceof RetryLater) log().info({ threadId: job.data.threadId }, err.message);
              throw err;
            }
          }),
        );
    },
    async setSchedule(scheduleId, cron, timezone) {
      const name = SCHEDULE_PREFIX + scheduleId;
      if (!(await boss.getQueue(name)))
        await boss
          .createQueue(name, { name, retryLimit: 3, retryDelay: 5, expireInSeconds: opts.expireInSeconds })
          .catch((err: Error) => log().debug(errFields(err), "schedule queue already exists"));
      await boss.schedule(name, cron, { scheduleId }, { tz: timezone });
    },
    async removeSchedule(scheduleId) {
      const name = SCHEDULE_PREFIX + scheduleId;
      await boss.unschedule(name);
      // Its queue too (a resume creates it again). pg-boss v10 refuses to delete a queue that still has jobs,
      // finished ones included, so they go first: fires not taken yet would find the schedule paused or gone.
      try {
        await boss.getDb().executeSql(`DELETE FROM waypoint_queue.job WHERE name = $1`, [name]);
        await boss.deleteQueue(name);
      } catch (err) {
        log().warn(errFields(err), `job queue (pg-boss): could not delete queue ${name}; it stays, idle`);
      }
    },
    async workSchedules(handler) {
      // v10 cannot work a set of queues by pattern: look for new and deleted schedule queues every 5 s.
      const sync = async () => {
        const names = new Set((await boss.getQueues()).map((q) => q.name).filter((n) => n.startsWith(SCHEDULE_PREFIX)));
        for (const name of names) {
          if (scheduleWork.has(name)) continue;
          const id = await boss.work<{ scheduleId: string }>(name, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) =>
            handler(job.data.scheduleId, job.id),
          );
          scheduleWork.set(name, id);
        }
        for (const [name, id] of scheduleWork)
          if (!names.has(name)) {
            scheduleWork.delete(name);
            await boss.offWork({ id });
          }
      };
      const loop = async () => {
        await sync().catch((err: Error) => log().error(errFields(err), `job queue (pg-boss): watching schedule queues failed: ${err.message}`));
        scheduleSync = setTimeout(() => void loop(), 5_000);
      };
      await loop();
    },
    async setRetention(cron) {
      if (cron === null) return void (await boss.unschedule(RETENTION_QUEUE));
      await ensureRetentionQueue();
      await boss.schedule(RETENTION_QUEUE, cron, {}, { tz: "UTC" });
    },
    async workRetention(handler) {
      await ensureRetentionQueue();
      workers.push(await boss.work(RETENTION_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => handler(job.id)));
    },
    async stopTaking() {
      if (scheduleSync) clearTimeout(scheduleSync);
      for (const id of [...workers.splice(0), ...scheduleWork.values()]) await boss.offWork({ id });
      scheduleWork.clear();
    },
    async close() {
      // Graceful: lets pg-boss record the last jobs' completion (it does so after the handler returns).
      await boss.stop({ graceful: true, wait: true, close: true, timeout: 5_000 });
    },
  };
}
