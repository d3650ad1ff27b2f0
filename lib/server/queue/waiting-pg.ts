import type PgBoss from "pg-boss";
import type { QueuedRunJob, WaitingRuns } from "./types";

/**
 * The runs waiting behind a busy thread (multitaskStrategy "enqueue") on PostgreSQL: one row per run in a table of
 * pg-boss's schema, in the order they were asked for (`seq`). A row outlives every process: it goes only once a
 * worker has started its run (or its job ended without starting it: promote.ts).
 */
export async function pgWaitingRuns(db: PgBoss.Db): Promise<WaitingRuns> {
  // Several processes start at once: the advisory lock makes the creation one at a time (IF NOT EXISTS is not
  // safe against a concurrent CREATE). One simple query: its statements run as one implicit transaction, which
  // holds the lock to its end and rolls back whole on an error.
  await db.executeSql(
    `SELECT pg_advisory_xact_lock(hashtext('waypoint_queue.waiting_run'));
     CREATE TABLE IF NOT EXISTS waypoint_queue.waiting_run (
       seq bigserial PRIMARY KEY,
       run_id text NOT NULL UNIQUE,
       thread_id text NOT NULL,
       job jsonb NOT NULL,
       created_on timestamptz NOT NULL DEFAULT now()
     );
     CREATE INDEX IF NOT EXISTS waiting_run_thread ON waypoint_queue.waiting_run (thread_id, seq);`,
    undefined as unknown as unknown[],
  );
  return {
    async push(job) {
      await db.executeSql(`INSERT INTO waypoint_queue.waiting_run (run_id, thread_id, job) VALUES ($1, $2, $3) ON CONFLICT (run_id) DO NOTHING`, [
        job.runId,
        job.threadId,
        job,
      ]);
    },
    async list(threadId) {
      const { rows } = await db.executeSql(`SELECT job FROM waypoint_queue.waiting_run WHERE thread_id = $1 ORDER BY seq`, [threadId]);
      return rows.map((r: { job: QueuedRunJob }) => r.job);
    },
    async remove(runId, _threadId) {
      await db.executeSql(`DELETE FROM waypoint_queue.waiting_run WHERE run_id = $1`, [runId]);
    },
    async threads() {
      const { rows } = await db.executeSql(`SELECT DISTINCT thread_id FROM waypoint_queue.waiting_run LIMIT 1000`, []);
      return rows.map((r: { thread_id: string }) => r.thread_id);
    },
  };
}
