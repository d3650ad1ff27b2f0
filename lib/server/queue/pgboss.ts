import PgBoss from "pg-boss";
import { errFields, log } from "../log";
import { QUEUE_NAME, RetryLater, type JobState, type RunJob, type RunQueue } from "./types";
import { pgWaitingRuns } from "./waiting-pg";

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
export async function openPgBoss(url: string, opts: { expireInSeconds: number; poolSize: number }): Promise<RunQueue> {
  const boss = new PgBoss({
    connectionString: url,
    schema: "waypoint_queue",
    max: opts.poolSize,
    // Supervision (expiring jobs, archiving) every 10 s is cheap; one instance does it per interval.
    maintenanceIntervalSeconds: 10,
    // No schedules yet: skip the clock-skew monitor and cron polling.
    schedule: false,
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
  const waiting = await pgWaitingRuns(boss.getDb());
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
    async stopTaking() {
      for (const id of workers.splice(0)) await boss.offWork({ id });
    },
    async close() {
      // Graceful: lets pg-boss record the last jobs' completion (it does so after the handler returns).
      await boss.stop({ graceful: true, wait: true, close: true, timeout: 5_000 });
    },
  };
}
