import "server-only";
import { v7 as uuidv7 } from "uuid";
import { WaypointError, isFencedOut, isStoreUnavailable, isThreadBusy, isWaypointError } from "../errors";
import type { CheckpointStore } from "../checkpoint/types";
import type { RunResult } from "../engine/types";
import type { GraphRegistry } from "./graphs";
import type { EventBus } from "./events";
import { apiCheckpoint } from "./serialize";
import type { RunRequest } from "./run-request";
import { continueAfterOutage, endStranded, type StoppedRun } from "./recovery";
import { log } from "./log";

/**
 * Runs go on in the background, not tied to the HTTP request that started them. One active run per thread:
 * in this process by the `active` map, across processes by the engine's store lock (THREAD_BUSY → 409).
 *
 * `start` resolves once the engine has validated the call and taken the lock (it sets the thread "running"),
 * so errors in the call itself (busy thread, unknown checkpoint, nothing to resume) reach the caller as HTTP
 * errors, and a run that began is never reported as refused.
 */
export type { RunRequest } from "./run-request";

export interface RunInfo {
  runId: string;
  threadId: string;
  graphId: string;
  status: "pending" | "running" | "done" | "interrupted" | "error" | "cancelled";
  startedAt: string;
  endedAt: string | null;
}

/**
 * Where runs go when this process does not execute them (WAYPOINT_EXECUTE=off): the queue (lib/server/queue),
 * whose workers call `start` on their own run manager. Same contract as `start`.
 */
export interface RunDispatch {
  start(threadId: string, graphId: string, req: RunRequest): Promise<{ run: RunInfo; finished: Promise<RunInfo> }>;
}

interface ActiveRun {
  info: RunInfo;
  abort: AbortController;
  finished: Promise<RunInfo>;
}

export class RunManager {
  private readonly active = new Map<string, ActiveRun>();
  /** Runs a store outage stopped, continued by `recoverAfterOutage` once the store answers (recovery.ts). */
  private readonly stopped = new Map<string, StoppedRun>();
  /** Threads a resumeOne loop is already waiting on (resumeOrphans runs again after every outage). */
  private readonly resuming = new Set<string>();
  /** Set when runs are handed to workers: `start` enqueues, and crash recovery is the workers' (queue/sweeper.ts). */
  private dispatch: RunDispatch | null = null;
  /** A stopping worker: each run ends after its next checkpoint, its thread left "running" for another worker. */
  private handingOff = false;

  constructor(
    private readonly store: CheckpointStore,
    private readonly graphs: GraphRegistry,
    private readonly bus: EventBus,
  ) {}

  /** From now on `start` hands runs to `dispatch` instead of executing them here. */
  sendRunsTo(dispatch: RunDispatch): void {
    this.dispatch = dispatch;
  }

  /**
   * Graceful stop (a worker's SIGTERM): every local run stops after the checkpoint of the step in flight and
   * releases its lock, leaving the thread "running" to be continued from there; those runs end as "running".
   */
  handOff(): void {
    this.handingOff = true;
  }

  /** Runs executing in this process. */
  activeCount(): number {
    return this.active.size;
  }

  activeRun(threadId: string): RunInfo | null {
    return this.active.get(threadId)?.info ?? null;
  }

  /** Resolves when the thread's local run (if any) has ended. */
  async settled(threadId: string): Promise<void> {
    await this.active.get(threadId)?.finished;
  }

  /**
   * Stops the thread's local run and resolves with how it ended ("cancelled", or what it reached first), or
   * null when this process runs nothing on the thread. The engine discards the step in flight.
   */
  async cancel(threadId: string): Promise<RunInfo | null> {
    const run = this.active.get(threadId);
    if (!run) return null;
    run.abort.abort(new WaypointError("RUN_ABORTED", "Run cancelled."));
    return run.finished;
  }

  /**
   * A run that just ended writes its final status before it releases the lock, and edits hold the lock
   * briefly: a THREAD_BUSY while the thread is not "running" is such a moment, so try again for up to ~1 s
   * instead of refusing a client that started a run right after seeing the last one end.
   */
  async start(threadId: string, graphId: string, req: RunRequest): Promise<{ run: RunInfo; finished: Promise<RunInfo> }> {
    if (this.dispatch) return this.dispatch.start(threadId, graphId, req);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce(threadId, graphId, req);
      } catch (err) {
        if (!isThreadBusy(err) || attempt >= 10) throw err;
        const thread = await this.store.getThread(threadId).catch(() => null);
        if (!thread || thread.status === "running") throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private async startOnce(threadId: string, graphId: string, req: RunRequest): Promise<{ run: RunInfo; finished: Promise<RunInfo> }> {
    if (this.active.has(threadId)) {
      throw new WaypointError("THREAD_BUSY", `Thread "${threadId}" already has an active run.`, { threadId });
    }
    const info: RunInfo = { runId: req.runId ?? uuidv7(), threadId, graphId, status: "running", startedAt: new Date().toISOString(), endedAt: null };
    const abort = new AbortController();
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    // The engine's first event ("start") comes once it validated the call, took the lock and marked the thread running.
    const app = this.graphs.compile(graphId);
    const gen = app.stream(req.input, {
      threadId,
      checkpointId: req.checkpointId,
      command: req.command,
      signal: abort.signal,
      metadata: { ...req.metadata, runId: info.runId },
      expectedCheckpointId: req.expectedCheckpointId,
      // What nodes emit goes to live listeners only (the protocol's `custom` stream mode); it is not saved.
      onCustom: (data, node) => this.bus.publish({ type: "custom", threadId, node, data }),
    });

    let saved = false;
    let handedOff = false;
    const pump = (async (): Promise<RunResult | null> => {
      for (;;) {
        const { value, done } = await gen.next();
        if (done) return value;
        markStarted(); // the "start" event (later calls are harmless)
        if (value.type === "checkpoint") saved = true;
        if (value.type === "checkpoint") this.bus.publish({ type: "checkpoint", threadId, checkpoint: apiCheckpoint(value.checkpoint, "summary") });
        else if (value.type === "interrupt")
          this.bus.publish({ type: "interrupt", threadId, interrupts: value.interrupts, checkpointId: value.checkpoint.id });
        else if (value.type === "error") this.bus.publish({ type: "error", threadId, error: value.error });
        if (value.type === "checkpoint" && this.handingOff) {
          // Stop iterating: the engine releases the lock and leaves the thread "running" at this checkpoint.
          handedOff = true;
          await gen.return(undefined as never);
          return null;
        }
      }
    })();

    const entry: ActiveRun = { info, abort, finished: Promise.resolve(info) };
    this.active.set(threadId, entry);
    const outcome = await Promise.race([
      started.then(() => ({ ok: true as const })),
      pump.then(
        () => ({ ok: true as const }),
        (err: unknown) => ({ ok: false as const, err }),
      ),
    ]);
    if (!outcome.ok) {
      this.active.delete(threadId);
      throw outcome.err;
    }
    this.bus.publish({ type: "run_started", threadId, runId: info.runId });
    entry.finished = pump.then(
      (result) => this.end(entry, handedOff ? "running" : (result?.status ?? "error")),
      (err: unknown) => {
        if (!abort.signal.aborted && lostLock(err)) {
          // Another process took the thread over (this one stalled past its lease), or the lease ran out unseen:
          // the run goes on there, or — if nobody holds the thread — here again from its last checkpoint.
          log().warn({ runId: info.runId, threadId, graph: graphId }, `run ${info.runId} lost the lock of thread ${threadId}: ${describe(err)}`);
          const ended = this.end(entry, "error");
          if (!this.handingOff) void this.resumeOne(threadId, graphId);
          return ended;
        }
        // Thrown after the start: the store failed mid-run or the run was cancelled. The engine recorded what it could.
        if (!abort.signal.aborted)
          log().error(
            { runId: info.runId, threadId, graph: graphId, err: { message: describe(err) } },
            `run ${info.runId} on thread ${threadId} stopped: ${describe(err)}`,
          );
        if (!abort.signal.aborted && isStoreUnavailable(err)) this.stopped.set(threadId, { graphId, request: req, saved });
        return this.end(entry, abort.signal.aborted ? "cancelled" : "error");
      },
    );
    return { run: info, finished: entry.finished };
  }

  private end(entry: ActiveRun, status: RunInfo["status"]): RunInfo {
    entry.info.status = status;
    entry.info.endedAt = new Date().toISOString();
    if (this.active.get(entry.info.threadId) === entry) this.active.delete(entry.info.threadId);
    this.bus.publish({ type: "run_ended", threadId: entry.info.threadId, runId: entry.info.runId, status });
    return entry.info;
  }

  /**
   * Crash recovery: threads left "running" by a dead process are continued from their last checkpoint.
   * A lock still held by a live process (another server) or by an unexpired lease makes us wait and retry
   * until the thread is no longer "running" or we get the lock.
   */
  async resumeOrphans(): Promise<void> {
    if (this.dispatch || this.handingOff) return;
    let cursor: string | null = null;
    do {
      const page = await this.store.listThreads({ status: "running", limit: 500, cursor });
      for (const t of page.threads) {
        if (this.resuming.has(t.threadId)) continue;
        if (t.graphId && this.graphs.has(t.graphId)) void this.resumeOne(t.threadId, t.graphId);
        else
          log().error(
            { threadId: t.threadId, graph: t.graphId },
            `thread ${t.threadId} was left running on graph "${t.graphId}", which this server does not have`,
          );
      }
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** Continues the runs a store outage stopped, then every thread left "running" (see recovery.ts). */
  recoverAfterOutage(): Promise<void> {
    return continueAfterOutage(
      this.store,
      this.stopped,
      (threadId, run) => this.start(threadId, run.graphId, run.request),
      (threadId) => this.active.has(threadId),
      () => this.resumeOrphans(),
    );
  }

  private async resumeOne(threadId: string, graphId: string): Promise<void> {
    this.resuming.add(threadId);
    try {
      await this.resumeLoop(threadId, graphId);
    } finally {
      this.resuming.delete(threadId);
    }
  }

  private async resumeLoop(threadId: string, graphId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const thread = await this.store.getThread(threadId);
        if (thread.status !== "running" || this.active.has(threadId) || this.stopped.has(threadId)) return;
        await this.start(threadId, graphId, { input: null });
        log().info({ threadId, graph: graphId }, `resumed thread ${threadId} (${graphId}) after a restart`);
        return;
      } catch (err) {
        if (!isThreadBusy(err)) {
          log().error({ threadId, graph: graphId, err: { message: describe(err) } }, `could not resume thread ${threadId}`);
          // Store down: the outage monitor resumes orphans again once it answers. Anything else ends visibly.
          if (!isStoreUnavailable(err)) await endStranded(this.store, threadId, err);
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(5000, 500 * (attempt + 1))).unref?.());
      }
    }
  }
}

/** The run stopped because its lock is another process's now (a failed renewal or a fenced save). */
function lostLock(err: unknown): boolean {
  return isFencedOut(err) || (isThreadBusy(err) && err.details.lost === true);
}

function describe(err: unknown): string {
  return isWaypointError(err) || err instanceof Error ? err.message : String(err);
}
