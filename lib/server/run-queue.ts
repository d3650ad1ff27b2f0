import "server-only";
import { v7 as uuidv7 } from "uuid";
import { isThreadBusy, isWaypointError } from "../errors";
import type { CheckpointStore } from "../checkpoint/types";
import type { EventBus } from "./events";
import type { Cluster } from "./pubsub/cluster";
import type { RunInfo, RunManager } from "./runs";
import type { RunRequest } from "./run-request";
import { log } from "./log";

/**
 * The `enqueue` multitask strategy: a run asked for while the thread is busy waits here, in the instance that
 * accepted it, and starts once the thread's current run has ended — whichever instance ran it. Runs queued on one
 * thread start in the order they were queued (per instance). A waiter is woken by the end of a run on this
 * instance's bus, by another instance's `run_ended` note (pub/sub), and, as a fallback while the pub/sub is down
 * or on SQLite/file/memory, by a check every second.
 *
 * Not durable: a queued run lives in this process's memory and is lost if it dies before the run starts. This is
 * the embedded setups' queue (SQLite, file, memory, and PostgreSQL / Redis with WAYPOINT_EXECUTE=local); where runs
 * go to workers (WAYPOINT_EXECUTE=off) the waiting runs are kept in the job queue's store instead
 * (queue/waitlist.ts) and outlive the instance that accepted them.
 */
interface Waiting {
  info: RunInfo;
  graphId: string;
  request: RunRequest;
  resolveStarted: (finished: Promise<RunInfo>) => void;
}

const FALLBACK_MS = 1_000;

/** Where runs asked for with multitaskStrategy "enqueue" wait for the thread's current run to end. */
export interface QueuedRuns {
  /**
   * Queues a run; `run` is its record ("pending", with the id it will run under), `finished` resolves once it
   * ran and ended (or could not start: "error").
   */
  enqueue(threadId: string, graphId: string, request: RunRequest): Promise<{ run: RunInfo; finished: Promise<RunInfo> }>;
  /** How many runs wait on the thread (here: on this instance). */
  count(threadId: string): Promise<number>;
}

export class RunQueue implements QueuedRuns {
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly kicking = new Set<string>();
  private readonly unhook = new Map<string, () => void>();

  constructor(
    private readonly store: CheckpointStore,
    private readonly runs: RunManager,
    private readonly bus: EventBus,
    private readonly cluster: Cluster,
  ) {}

  async count(threadId: string): Promise<number> {
    return this.waiting.get(threadId)?.length ?? 0;
  }

  async enqueue(threadId: string, graphId: string, request: RunRequest): Promise<{ run: RunInfo; finished: Promise<RunInfo> }> {
    const runId = request.runId ?? uuidv7();
    const info: RunInfo = { runId, threadId, graphId, status: "pending", startedAt: new Date().toISOString(), endedAt: null };
    let resolveStarted!: (finished: Promise<RunInfo>) => void;
    const finished = new Promise<Promise<RunInfo>>((r) => (resolveStarted = r)).then((p) => p);
    const list = this.waiting.get(threadId) ?? [];
    list.push({ info, graphId, request: { ...request, runId }, resolveStarted });
    this.waiting.set(threadId, list);
    if (!this.unhook.has(threadId)) this.watch(threadId);
    void this.kick(threadId);
    return { run: { ...info }, finished };
  }

  private watch(threadId: string): void {
    const wake = () => void this.kick(threadId);
    const offBus = this.bus.subscribe(threadId, (e) => e.type === "run_ended" && wake());
    const offCluster = this.cluster.subscribe(threadId, (n) => (n.kind === "run_ended" || n.kind === "thread_updated") && wake());
    const timer = setInterval(wake, FALLBACK_MS);
    timer.unref?.();
    this.unhook.set(threadId, () => {
      offBus();
      offCluster();
      clearInterval(timer);
    });
  }

  /** Starts the thread's first waiting run if the thread is free; one attempt at a time per thread. */
  private async kick(threadId: string): Promise<void> {
    if (this.kicking.has(threadId)) return;
    this.kicking.add(threadId);
    try {
      const list = this.waiting.get(threadId);
      const next = list?.[0];
      if (!next) return;
      if (this.runs.activeRun(threadId)) return;
      const t = await this.store
        .getThread(threadId)
        .catch((err: unknown) => (isWaypointError(err) && err.code === "THREAD_NOT_FOUND" ? null : undefined));
      if (t === undefined || t?.status === "running") return; // store down: the next wake-up tries again
      try {
        if (t === null) throw new Error(`Thread "${threadId}" was deleted before its queued run could start.`);
        next.request.beforeStart?.();
        const { finished } = await this.runs.start(threadId, next.graphId, next.request);
        list.shift();
        next.resolveStarted(finished);
      } catch (err) {
        if (isThreadBusy(err)) return; // someone else got the thread first: wait for that run too
        list.shift();
        const message = err instanceof Error ? err.message : String(err);
        log().error(
          { threadId, runId: next.info.runId, err: { message } },
          `queued run ${next.info.runId} on thread ${threadId} could not start: ${message}`,
        );
        this.bus.publish({ type: "error", threadId, error: { message: `A queued run could not start: ${message}` } });
        next.resolveStarted(Promise.resolve({ ...next.info, status: "error", endedAt: new Date().toISOString() }));
      }
    } finally {
      this.kicking.delete(threadId);
      const list = this.waiting.get(threadId);
      if (list && !list.length) {
        this.waiting.delete(threadId);
        this.unhook.get(threadId)?.();
        this.unhook.delete(threadId);
      }
    }
  }
}
