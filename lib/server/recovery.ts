import "server-only";
import { isStoreUnavailable, isThreadBusy, isWaypointError, type WaypointError } from "../errors";
import type { CheckpointStore, ThreadInfo } from "../checkpoint/types";
import type { RunRequest } from "./run-request";
import { errFields, log } from "./log";

/**
 * Recovery from store outages and crashes.
 *
 * - `OutageMonitor` learns of an outage from any store call that fails with STORE_UNAVAILABLE (the runtime's
 *   store is wrapped by `guardStore`), then probes the store with exponential back-off (0.25 s doubling to
 *   10 s) until it answers, and calls `onBack`: the run manager then continues every run the outage stopped
 *   and every thread left "running" — without anyone posting a run.
 * - `endStranded` makes a thread that cannot be continued visible instead of "running" forever.
 */
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;

export class OutageMonitor {
  /** The latest outage error while the store is down; null while it answers. */
  down: WaypointError | null = null;
  since: number | null = null;
  private probing = false;

  constructor(
    private readonly probe: () => Promise<unknown>,
    private readonly onBack: () => void,
  ) {}

  /** A store call failed with STORE_UNAVAILABLE. */
  unavailable(err: WaypointError): void {
    const first = this.down === null;
    this.down = err;
    if (first) {
      this.since = Date.now();
      log().error(
        { err: { message: err.message, code: err.code } },
        `${err.message} Requests answer 503 until it is back; runs it stopped continue then.`,
      );
    }
    if (!this.probing) void this.loop();
  }

  private async loop(): Promise<void> {
    this.probing = true;
    try {
      for (let wait = FIRST_BACKOFF_MS; ; wait = Math.min(MAX_BACKOFF_MS, wait * 2)) {
        await sleep(wait);
        try {
          await this.probe();
        } catch (err) {
          if (isStoreUnavailable(err)) continue;
        }
        const secs = this.since ? ((Date.now() - this.since) / 1000).toFixed(1) : "?";
        this.down = null;
        this.since = null;
        log().info({ downSeconds: Number(secs) || null }, `the checkpoint store answers again after ${secs} s; continuing interrupted runs`);
        this.onBack();
        return;
      }
    } finally {
      this.probing = false;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref?.());

/** A run the outage stopped, kept so it can be continued exactly (a resume value not yet saved included). */
export interface StoppedRun {
  graphId: string;
  request: RunRequest;
  /** Whether the run saved a checkpoint: then it continues from the latest one, else the request is re-run. */
  saved: boolean;
}

/** True for a thread error the runner recorded for a store outage (see runner.ts `recordStop`). */
export function stoppedByOutage(t: ThreadInfo): boolean {
  return t.status === "running" || (t.status !== "done" && t.error !== null && /^The run stopped: .* is unreachable: /.test(t.error.message));
}

/** Continues the runs an outage stopped and every thread left "running", retrying busy threads with back-off. */
export async function continueAfterOutage(
  store: CheckpointStore,
  stopped: Map<string, StoppedRun>,
  start: (threadId: string, run: StoppedRun) => Promise<unknown>,
  isActive: (threadId: string) => boolean,
  resumeOrphans: () => Promise<void>,
): Promise<void> {
  for (const [threadId, run] of [...stopped]) {
    void (async () => {
      for (let attempt = 0; attempt < 60; attempt++) {
        if (stopped.get(threadId) !== run) return;
        try {
          const t = await store.getThread(threadId);
          if (isActive(threadId) || !stoppedByOutage(t)) break;
          await start(threadId, run.saved ? { ...run, request: { input: null } } : run);
          log().info({ threadId, graph: run.graphId }, `continued thread ${threadId} after the store outage`);
          break;
        } catch (err) {
          // Busy: our own lock from before the outage, until its lease ends. Down again: the monitor calls us later.
          if (isStoreUnavailable(err)) return;
          if (!isThreadBusy(err)) {
            await endStranded(store, threadId, err);
            break;
          }
          await sleep(Math.min(5000, 500 * (attempt + 1)));
        }
      }
      if (stopped.get(threadId) === run) stopped.delete(threadId);
    })();
  }
  await resumeOrphans().catch((err) => log().error(errFields(err), "crash recovery failed"));
}

/**
 * A thread left "running" that cannot be continued (its resume value was lost with a crashed server, it has
 * no checkpoint, its graph is gone…) ends visibly: back to its latest checkpoint, "interrupted" when that
 * waits for a human, else "error", with the reason on the thread.
 */
export async function endStranded(store: CheckpointStore, threadId: string, err: unknown): Promise<void> {
  try {
    const t = await store.getThread(threadId);
    if (t.status !== "running") return;
    const head = await store.latest(threadId);
    const error = {
      node: null,
      message: `The run could not continue after the server stopped: ${message(err)}`,
      checkpointId: head?.id ?? null,
      at: new Date().toISOString(),
    };
    await store.updateThread(threadId, { status: head?.interrupts.length ? "interrupted" : "error", error });
    log().error(
      { threadId, status: head?.interrupts.length ? "interrupted" : "error", ...errFields(err) },
      "thread could not continue after the server stopped",
    );
  } catch (e) {
    log().error({ threadId, ...errFields(e) }, "could not record that the thread stopped");
  }
}

function message(err: unknown): string {
  return isWaypointError(err) || err instanceof Error ? err.message : String(err);
}
