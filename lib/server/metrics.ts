import "server-only";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { WaypointError, isWaypointError } from "../errors";
import { onBytesWritten } from "../checkpoint/delta";
import type { CheckpointStore } from "../checkpoint/types";
import type { Caller } from "./auth/caller";
import type { EventBus } from "./events";
import type { RunManager } from "./runs";
import { COUNT_CAP, walkThreads } from "./thread-walk";

/**
 * Prometheus metrics (prom-client), served by GET /api/metrics. One registry per process, kept on globalThis:
 * Next bundles each route separately, and a module-level registry would exist once per bundle.
 *
 * Where each figure comes from:
 * - store calls: the guarded store's `onCall` hook (lib/checkpoint/timeouts.ts), every contract method;
 * - bytes written: the delta codec's `onBytesWritten` (lib/checkpoint/delta.ts), which every backend writes through;
 * - runs, steps: the event bus (run_started / checkpoint / run_ended), so the run manager needs no metrics code;
 *   a step's duration is the time from the run's previous checkpoint (or its start) to the step's checkpoint;
 * - HTTP: the route wrappers (lib/server/route.ts), by route pattern (ids replaced) and status;
 * - waiting interrupts and active runs: read when scraped (a bounded walk of the interrupted threads).
 */
export interface Metrics {
  registry: Registry;
  /** One scrape: every metric's current text (Prometheus exposition format). */
  text(): Promise<string>;
  storeCall(method: string, ms: number, err: unknown): void;
  http(method: string, path: string, status: number, ms: number): void;
  /** An error answer's code (lib/server/http.ts): THREAD_BUSY counts as a lock conflict. */
  refusal(code: string): void;
  /** One pass of a graph's retention policy (lib/server/retention.ts). */
  retention(graph: string, threadsDeleted: number, checkpointsDeleted: number): void;
  /** Binds the scrape-time gauges and the run counters to this process's runtime (once it exists). */
  attach(store: CheckpointStore, runs: RunManager, bus: EventBus): void;
}

const KEY = Symbol.for("waypoint.metrics");
const holder = globalThis as unknown as { [KEY]?: Metrics };

export function metrics(): Metrics {
  return (holder[KEY] ??= createMetrics());
}

/** Ids in API paths become placeholders, so each route is one series: /api/threads/:id/checkpoints/:id/diff. */
export function routePattern(path: string): string {
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) {
    if (["threads", "checkpoints", "graphs", "users", "tokens"].includes(parts[i - 1]) && parts[i] !== "") parts[i] = ":id";
  }
  return parts.join("/");
}

function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const storeLabel = { kind: "unknown" };
  let attached: { store: CheckpointStore; runs: RunManager } | null = null;

  const storeSeconds = new Histogram({
    name: "waypoint_store_call_duration_seconds",
    help: "Checkpoint store calls (save, load, list, latest, ...) by store and method.",
    labelNames: ["store", "method"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: "waypoint_store_errors_total",
    help: "Store calls that failed, by store, method and error code (STORE_UNAVAILABLE, THREAD_BUSY, ...).",
    labelNames: ["store", "method", "code"],
    registers: [registry],
  });
  const saved = new Counter({
    name: "waypoint_checkpoints_saved_total",
    help: "Checkpoints saved, by store.",
    labelNames: ["store"],
    registers: [registry],
  });
  const bytesWritten = new Counter({
    name: "waypoint_checkpoint_bytes_written_total",
    help: "Bytes of checkpoint rows written (each row's state or delta plus its metadata, UTF-8, as stored: encrypted when encryption is on), by store.",
    labelNames: ["store"],
    registers: [registry],
  });
  // Counted where every backend's rows are encoded (the delta codec), not per backend.
  onBytesWritten((bytes) => bytesWritten.inc({ store: storeLabel.kind }, bytes));
  const retentionThreads = new Counter({
    name: "waypoint_retention_threads_deleted_total",
    help: "Threads deleted by the retention policy, by graph.",
    labelNames: ["graph"],
    registers: [registry],
  });
  const retentionCheckpoints = new Counter({
    name: "waypoint_retention_checkpoints_deleted_total",
    help: "Checkpoints removed by the retention policy (deleted threads' and trimmed ones'), by graph.",
    labelNames: ["graph"],
    registers: [registry],
  });
  const runsStarted = new Counter({
    name: "waypoint_runs_started_total",
    help: "Runs started, by graph.",
    labelNames: ["graph"],
    registers: [registry],
  });
  const runsFinished = new Counter({
    name: "waypoint_runs_finished_total",
    help: "Runs ended, by graph and outcome (done, interrupted, error).",
    labelNames: ["graph", "outcome"],
    registers: [registry],
  });
  const stepSeconds = new Histogram({
    name: "waypoint_step_duration_seconds",
    help: "Graph steps, by graph and the node that wrote the step's checkpoint (time since the run's previous checkpoint).",
    labelNames: ["graph", "node"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: "waypoint_http_requests_total",
    help: "API requests, by method, route pattern and status.",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const httpSeconds = new Histogram({
    name: "waypoint_http_request_duration_seconds",
    help: "API request handling time, by method and route pattern.",
    labelNames: ["method", "route"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const lockConflicts = new Counter({
    name: "waypoint_lock_conflicts_total",
    help: "Requests refused because another run holds the thread (409 THREAD_BUSY).",
    registers: [registry],
  });
  new Gauge({
    name: "waypoint_runs_active",
    help: "Runs executing in this process.",
    registers: [registry],
    collect() {
      this.set(attached ? attached.runs.activeCount() : 0);
    },
  });
  // Both gauges come from one walk of the interrupted threads per scrape (`text()` starts each scrape afresh).
  let walk: Promise<{ n: number; oldestAt: number }> | null = null;
  const interrupted = () => (walk ??= walkInterrupted());
  async function walkInterrupted() {
    if (!attached) return { n: 0, oldestAt: Infinity };
    const w = await walkThreads(attached.store, { status: "interrupted" });
    return { n: w.count, oldestAt: w.oldestAt };
  }
  new Gauge({
    name: "waypoint_interrupts_waiting",
    help: `Threads waiting for a person at an interrupt (every process; counted up to ${COUNT_CAP}).`,
    registers: [registry],
    async collect() {
      this.set((await interrupted()).n);
    },
  });
  new Gauge({
    name: "waypoint_interrupt_oldest_age_seconds",
    help: "How long the longest-waiting interrupted thread has waited (since its last change), 0 when none waits.",
    registers: [registry],
    async collect() {
      const { n, oldestAt } = await interrupted();
      this.set(n > 0 && Number.isFinite(oldestAt) ? Math.max(0, (Date.now() - oldestAt) / 1000) : 0);
    },
  });

  return {
    registry,
    async text() {
      walk = null;
      try {
        return await registry.metrics();
      } finally {
        walk = null;
      }
    },
    storeCall(method, ms, err) {
      storeSeconds.observe({ store: storeLabel.kind, method }, ms / 1000);
      if (err) storeErrors.inc({ store: storeLabel.kind, method, code: isWaypointError(err) ? err.code : "INTERNAL" });
      else if (method === "save") saved.inc({ store: storeLabel.kind });
    },
    http(method, path, status, ms) {
      const route = routePattern(path);
      httpRequests.inc({ method, route, status: String(status) });
      httpSeconds.observe({ method, route }, ms / 1000);
    },
    refusal(code) {
      if (code === "THREAD_BUSY") lockConflicts.inc();
    },
    retention(graph, threads, checkpoints) {
      retentionThreads.inc({ graph }, threads);
      retentionCheckpoints.inc({ graph }, checkpoints);
    },
    attach(store, runs, bus) {
      storeLabel.kind = store.kind;
      attached = { store, runs };
      // Per thread: the graph of its current run and when its last checkpoint (or the run's start) was seen.
      const live = new Map<string, { graph: string; at: number }>();
      bus.subscribeAll((e) => {
        if (e.type === "run_started") {
          const graph = runs.activeRun(e.threadId)?.graphId ?? "unknown";
          runsStarted.inc({ graph });
          if (!live.has(e.threadId)) live.set(e.threadId, { graph, at: performance.now() });
        } else if (e.type === "checkpoint") {
          const run = runs.activeRun(e.threadId);
          if (!run) return;
          const now = performance.now();
          const prev = live.get(e.threadId) ?? { graph: run.graphId, at: Date.parse(run.startedAt) - Date.now() + now };
          if (e.checkpoint.metadata.source === "loop")
            stepSeconds.observe({ graph: run.graphId, node: e.checkpoint.nodeName }, (now - prev.at) / 1000);
          live.set(e.threadId, { graph: run.graphId, at: now });
        } else if (e.type === "run_ended") {
          runsFinished.inc({ graph: live.get(e.threadId)?.graph ?? "unknown", outcome: e.status });
          live.delete(e.threadId);
        }
      });
    },
  };
}

/**
 * GET /api/metrics: the Prometheus text. Any signed-in role may read it (a scraper uses a viewer API token), but
 * only with every graph in scope: the figures cover all graphs, and a graph-limited token must not see the others.
 */
export async function scrape(who: Caller): Promise<Response> {
  who.authorize("read");
  if (who.principal.graphs !== null)
    throw new WaypointError("FORBIDDEN", "Metrics cover every graph: use a token or account that is not limited to some graphs.", {
      action: "read",
      role: who.principal.role,
    });
  const m = metrics();
  return new Response(await m.text(), { headers: { "content-type": m.registry.contentType, "cache-control": "no-store" } });
}
