/**
 * `npm run worker`: a process that executes runs the web instances queued (WAYPOINT_EXECUTE=off on those).
 * It opens the same store and graph config as the server, takes WAYPOINT_WORKER_CONCURRENCY jobs at once from
 * the store's queue (queue/open.ts), looks for runs of dead workers (sweeper.ts), and relays its runs' events
 * and serves cancels through the store's pub/sub (lib/server/pubsub). It also registers the retention job's cron
 * entry and runs the passes of the ticks it takes (retention.ts).
 *
 * SIGTERM / SIGINT: stop taking jobs; each run in hand stops after the checkpoint of the step in flight (the
 * thread stays "running" and is queued to continue on another worker); exit once they have, or after
 * WAYPOINT_WORKER_GRACE_MS (then the run locks' leases run out and another worker continues from the last
 * checkpoint). A second signal exits at once.
 */
import os from "node:os";
import { createStore, storeConfigFromEnv } from "../../checkpoint/factory";
import { guardStore, storeLabel, storeTimeoutMs } from "../../checkpoint/timeouts";
import { loadGraphConfig } from "../../config/load";
import { settings } from "../config";
import { EventBus } from "../events";
import { GraphRegistry } from "../graphs";
import { RunManager } from "../runs";
import { OutageMonitor } from "../recovery";
import { attachRunLog } from "../run-log";
import { errFields, log } from "../log";
import { handleJob } from "./job";
import { QueueDispatch } from "./dispatch";
import { openQueue } from "./open";
import { startSweeper } from "./sweeper";
import { startQueuedRetention } from "./retention";
import { serveWorkerMetrics } from "./worker-metrics";
import { metrics } from "../metrics";
import { createCluster } from "../pubsub/cluster";
import { serveCancels } from "../pubsub/cancel-service";
import { openAccountsDb } from "../auth/db";
import { fireQueued } from "../schedules";
import { ScheduleRepo } from "../schedules/store";

export async function runWorker(): Promise<void> {
  const s = settings();
  const { graphs: graphList } = await loadGraphConfig();
  const config = storeConfigFromEnv(process.env);
  const raw = await createStore(config);
  await raw.setup();
  // As in the web runtime: every store call bounded, and runs a store outage stopped continue once it answers.
  const store = guardStore(raw, {
    deadlineMs: storeTimeoutMs() + 1_000,
    label: storeLabel(config.kind, "url" in config ? config.url : undefined),
    onUnavailable: (err) => outage.unavailable(err),
    onCall: (method, ms, err) => metrics().storeCall(method, ms, err),
  });
  const outage = new OutageMonitor(
    () => store.listThreads({ limit: 1 }),
    () => void runs.recoverAfterOutage(),
  );
  const bus = new EventBus();
  const graphs = new GraphRegistry(store, graphList);
  const runs = new RunManager(store, graphs, bus);
  attachRunLog(bus, runs);
  metrics().attach(store, runs, bus);
  // Its figures (runs, steps, store calls, retention passes) served on a port of its own, when asked for.
  const stopMetrics = s.workerMetrics ? await serveWorkerMetrics(s.workerMetrics) : null;
  // The web instances' SSE streams see this worker's checkpoints, and their cancels and multitask strategies
  // reach its runs, through the store's pub/sub (as between web instances).
  const cluster = await createCluster(config, s.pubsub);
  cluster.relay(bus);
  serveCancels(cluster, runs);
  const queue = await openQueue(config, {
    lockMs: s.lockTtlMs,
    expireInSeconds: s.jobExpireSeconds,
    poolSize: s.workerConcurrency + 2,
    worker: true,
  });
  const workerId = process.env.WAYPOINT_WORKER_ID?.trim() || `${os.hostname()}:${process.pid}`;
  // The retention policies: the queue's one cron entry, its ticks taken by whichever worker is free. First, so a
  // refused entry (a seconds field on pg-boss) stops the start before any run job is taken.
  await startQueuedRetention({ queue, store, graphs: graphList, settings: s, workerId });
  let inHand = 0;
  let idle: (() => void) | null = null;
  await queue.work(s.workerConcurrency, async (job, attempt) => {
    inHand++;
    try {
      await handleJob({ store, runs, queue, workerId }, job, attempt);
    } finally {
      if (--inHand === 0) idle?.();
    }
  });
  // Schedules are rows in the accounts database (the store's own when it is SQLite / PostgreSQL, else DATABASE_URL).
  const accounts = await openAccountsDb(raw);
  const repo = new ScheduleRepo(accounts);
  // A fire becomes an ordinary run job (deduplicated by thread, continued if its worker stops), as a web
  // instance's run start does.
  const fired = new QueueDispatch(store, graphs, queue);
  await queue.workSchedules((scheduleId, fireId) => fireQueued({ store, graphs, runs: fired, repo }, scheduleId, fireId));
  const stopSweeper = startSweeper({ store, runs, queue, lockTtlMs: s.lockTtlMs });
  log().info(
    { worker: workerId, queue: queue.kind, concurrency: s.workerConcurrency, graphs: graphList.map((g) => g.id) },
    `worker ${workerId} takes runs from ${queue.kind} (${s.workerConcurrency} at once)`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log().warn(`second ${signal}: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log().info({ inHand }, `${signal}: taking no more runs; runs in hand stop at their next checkpoint`);
    stopSweeper();
    runs.handOff();
    await queue.stopTaking().catch((err) => log().error(errFields(err), "could not stop taking jobs"));
    const drained = inHand === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
    const grace = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), s.workerGraceMs).unref());
    if ((await Promise.race([drained, grace])) === "late")
      log().warn({ inHand }, "runs still in hand after the grace period: exiting; other workers continue them once their locks expire");
    await queue.close().catch((err) => log().error(errFields(err), "closing the job queue failed"));
    await stopMetrics?.().catch(() => {});
    await cluster.close().catch(() => {});
    await accounts.close().catch(() => {});
    await store.close().catch(() => {});
    log().info("worker stopped");
    process.exit(0);
  };
  for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => void stop(sig));
}
