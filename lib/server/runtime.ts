import "server-only";
import { isStoreConfigError, isStoreUnavailable, isWaypointError } from "../errors";
import { createStore, storeConfigFromEnv } from "../checkpoint/factory";
import { loadGraphConfig } from "../config/load";
import { guardStore, storeLabel, storeTimeoutMs } from "../checkpoint/timeouts";
import type { CheckpointStore } from "../checkpoint/types";
import { EventBus } from "./events";
import { GraphRegistry } from "./graphs";
import { RunManager } from "./runs";
import { announceFirstAdmin, createAccess, type Access } from "./auth";
import { OutageMonitor } from "./recovery";
import { settings } from "./config";
import { metrics } from "./metrics";
import { errFields, log } from "./log";
import { attachRunLog } from "./run-log";
import { startRetention } from "./retention";
import { createCluster, type Cluster } from "./pubsub/cluster";
import { serveCancels } from "./pubsub/cancel-service";
import { RunQueue, type QueuedRuns } from "./run-queue";
import { openQueue } from "./queue/open";
import { QueueDispatch } from "./queue/dispatch";
import type { RunQueue as JobQueue } from "./queue/types";
import { openSchedules, type Schedules } from "./schedules";
import { DurableWaitlist } from "./queue/waitlist";

/**
 * The process-wide server state: the store chosen by configuration, the compiled graphs, the run manager and
 * the event bus. Kept on globalThis so Next's dev reloads (which re-evaluate modules) reuse it instead of
 * opening a second store and losing track of running runs.
 */
export interface Runtime {
  store: CheckpointStore;
  graphs: GraphRegistry;
  runs: RunManager;
  bus: EventBus;
  /** The other web instances on the same PostgreSQL / Redis, through its pub/sub (pubsub/cluster.ts). */
  cluster: Cluster;
  /** Runs queued behind a busy thread's current run (multitaskStrategy "enqueue"): in memory, or durable with workers. */
  queue: QueuedRuns;
  access: Access;
  /** Whether the store is known to be down (set by any call that failed STORE_UNAVAILABLE, cleared by a probe). */
  outage: OutageMonitor;
  /** Scheduled runs: fired by the queue's scheduler with workers, else by this process's timer (lib/server/schedules). */
  schedules: Schedules;
}

const KEY = Symbol.for("waypoint.runtime");
type Holder = { [KEY]?: Promise<Runtime> };
const holder = globalThis as unknown as Holder;

async function create(): Promise<Runtime> {
  settings(); // a malformed WAYPOINT_* value stops the start here, with one sentence
  // So does a bad waypoint.config.ts (a missing module, a duplicate id, ...), before the store is opened.
  const loadStart = Date.now();
  const { file: configFile, graphs: graphList } = await loadGraphConfig();
  log().info(
    { config: configFile, ms: Date.now() - loadStart, graphs: graphList.map((g) => g.id) },
    `graphs from ${configFile}: ${graphList.map((g) => g.id).join(", ")}`,
  );
  const config = storeConfigFromEnv(process.env);
  const raw = await createStore(config);
  await raw.setup();
  // Every store call is bounded (driver timeout plus a margin) and observed: the first STORE_UNAVAILABLE starts
  // the outage monitor, which probes with back-off and continues the stopped runs once the store answers.
  // (`outage` and `runs` are used only once the server is serving, after both exist.)
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
  let access: Access;
  try {
    // Accounts share the raw store's database connection (its Prisma client), not the guarded wrapper.
    access = await createAccess(raw);
  } catch (err) {
    await raw.close().catch(() => {});
    throw err;
  }
  const bus = new EventBus();
  const graphs = new GraphRegistry(store, graphList);
  const runs = new RunManager(store, graphs, bus);
  // Live events and cancels across instances (PostgreSQL LISTEN/NOTIFY, Redis pub/sub; none for the others).
  const cluster = await createCluster(config, settings().pubsub);
  cluster.relay(bus);
  serveCancels(cluster, runs);
  let queue: QueuedRuns | null = null;
  // WAYPOINT_EXECUTE=off: runs go to the store's queue and `npm run worker` processes execute them (and recover
  // a dead worker's runs); this process runs none, so it resumes none either.
  let jobs: JobQueue | null = null;
  if (settings().execute === "off") {
    jobs = await openQueue(config, { lockMs: settings().lockTtlMs, expireInSeconds: settings().jobExpireSeconds, poolSize: 4 }).catch(
      async (err: unknown) => {
        await raw.close().catch(() => {});
        throw err;
      },
    );
    runs.sendRunsTo(new QueueDispatch(store, graphs, jobs));
    queue = new DurableWaitlist(store, jobs);
    log().info({ queue: jobs.kind }, `runs are handed to workers through ${jobs.kind}; this server executes none (WAYPOINT_EXECUTE=off)`);
  }
  const schedules = await openSchedules(access.db, { store, graphs, runs }, jobs);
  queue ??= new RunQueue(store, runs, bus, cluster);
  metrics().attach(store, runs, bus);
  attachRunLog(bus, runs);
  log().info({ store: store.kind }, `checkpoint store: ${store.kind}`);
  await announceFirstAdmin(access).catch((err) => log().error(errFields(err), "could not prepare the first-admin link"));
  // Threads a killed process left "running" continue by themselves.
  runs.resumeOrphans().catch((err) => log().error(errFields(err), "crash recovery failed"));
  // With a queue, the workers run the retention policies on the queue's cron (queue/retention.ts); a timer here
  // too would only repeat their passes in every web instance.
  if (!jobs) startRetention(store, graphList);
  else if (graphList.some((g) => g.retention))
    log().info({ queue: jobs.kind }, `retention policies run on the workers through ${jobs.kind}; no retention timer here`);
  return { store, graphs, runs, bus, cluster, queue, access, outage, schedules };
}

function message(err: unknown): string {
  return isWaypointError(err) || err instanceof Error ? err.message : String(err);
}

/**
 * The runtime, created on first use. A configuration or connection error is printed once as one sentence
 * (no stack trace), answered as 503 to the request, and retried on the next request.
 */
export function getRuntime(): Promise<Runtime> {
  let p = holder[KEY];
  if (!p) {
    p = create();
    holder[KEY] = p;
    p.then(
      () => (retries = 0),
      (err) => isStoreUnavailable(err) && retryLater(),
    );
    p.catch((err) => {
      if (holder[KEY] === p) delete holder[KEY];
      if (isStoreConfigError(err) || isStoreUnavailable(err)) log().error({ err: { message: message(err), code: err.code } }, message(err));
      else log().fatal(errFields(err), "start-up failed");
    });
  }
  return p;
}

/**
 * A store that was down at start-up: try again in the background (1 s doubling to 30 s), so runs left
 * "running" continue once it answers even if no request arrives meanwhile.
 */
let retries = 0;
let retryTimer: NodeJS.Timeout | null = null;
function retryLater(): void {
  if (retryTimer) return;
  const wait = Math.min(30_000, 1_000 * 2 ** retries++);
  retryTimer = setTimeout(() => {
    retryTimer = null;
    if (!holder[KEY]) getRuntime().catch(() => {});
  }, wait);
  retryTimer.unref?.();
}
