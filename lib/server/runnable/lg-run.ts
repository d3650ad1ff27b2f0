import { Command } from "@langchain/langgraph";
import { WaypointError, isFencedOut, isStoreUnavailable, isWaypointError, staleCheckpoint } from "../../errors";
import { assertSafeId } from "../../checkpoint/ids";
import type { Checkpoint, ThreadError, ThreadStatus } from "../../checkpoint/types";
import { ThreadLock } from "../../engine/thread-lock";
import type { InvokeOptions, RunResult, RunStatus, State, StreamEvent } from "../../engine/types";
import { langGraphRecord } from "../../langgraph/records";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { CheckpointStore } from "../../checkpoint/types";
import type { LangGraphApp, ObservedSaver } from "./lg-app";

/** What a run needs of its graph (langgraph.ts's LangGraphHost; an interface here so the two files form no cycle). */
export interface LangGraphHost {
  readonly store: CheckpointStore;
  readonly saver: ObservedSaver;
  readonly app: LangGraphApp;
  readonly options: { graphId: string; lockTtlMs: number };
  view(cp: Checkpoint, status?: ThreadStatus): Checkpoint;
  config(threadId: string, checkpointId?: string): RunnableConfig;
  checkpointOf(threadId: string, checkpointId?: string): Promise<Checkpoint>;
  refuseEngineCheckpoint(cp: Checkpoint): void;
}

/**
 * One run of a LangGraph.js graph, with the engine's run contract (types.ts): the thread's store lock for the
 * whole run (renewed; a SIGKILLed server's lock is taken over, so a restart continues the thread), "running"
 * before `start`, a `checkpoint` event per checkpoint LangGraph saves, and at the end the thread's status
 * LangGraph's state implies — interrupted (a dynamic `interrupt()`, or a static interruptBefore/After with
 * next nodes left), error (a node threw: its name, message and checkpoint), done, or cancelled.
 */
export async function* runLangGraph(g: LangGraphHost, input: State | null, opts: InvokeOptions): AsyncGenerator<StreamEvent, RunResult> {
  const { threadId } = opts;
  assertSafeId(threadId, "thread");
  if (opts.checkpointId !== undefined) assertSafeId(opts.checkpointId, "checkpoint");
  const { store } = g;
  const lock = await ThreadLock.acquire(store, threadId, g.options.lockTtlMs);
  const lost = new AbortController();
  lock.onLost = () => lost.abort(new WaypointError("THREAD_BUSY", `The run lost the lock of thread "${threadId}".`, { threadId, lost: true }));
  const saved: string[] = [];
  let lastId: string | null = null;
  const stopListening = g.saver.listen(
    threadId,
    (id) => {
      saved.push(id);
      lastId = id;
    },
    opts.metadata,
    lock.owner,
  );
  try {
    const latest = await store.latest(threadId);
    if (latest && !langGraphRecord(latest)) g.refuseEngineCheckpoint(latest);
    if (opts.expectedCheckpointId !== undefined && (latest?.id ?? null) !== opts.expectedCheckpointId)
      throw staleCheckpoint(threadId, opts.expectedCheckpointId, latest?.id ?? null);
    const from = opts.checkpointId !== undefined ? await g.checkpointOf(threadId, opts.checkpointId) : latest;
    if (from) g.refuseEngineCheckpoint(from);
    if (input === null && !from)
      throw new WaypointError("INVALID_ARGUMENT", `Thread "${threadId}" has no checkpoint to continue from: give an input for its first run.`);
    if (opts.command?.resume !== undefined && !g.view(from!).interrupts.some((i) => i.kind === "dynamic"))
      throw new WaypointError("NO_PENDING_INTERRUPT", `Thread "${threadId}" has no interrupt waiting for an answer.`, { threadId });
    await store.updateThread(threadId, { status: "running", error: null, graphId: g.options.graphId });
    yield { type: "start", threadId, from: from?.id ?? null };

    const signal = opts.signal ? AbortSignal.any([opts.signal, lost.signal]) : lost.signal;
    const lgInput = opts.command ? new Command({ ...opts.command }) : input;
    const config = g.config(threadId, opts.checkpointId);
    let failure: unknown = null;
    try {
      const stream = await g.app.stream(lgInput, {
        ...config,
        signal,
        // Each step's checkpoint saved before the next step starts (Waypoint's promise). LangGraph's default
        // ("async") saves it while the next step runs and sends that step's putWrites without waiting for the
        // put, so the saver could be asked for writes on a checkpoint it does not have yet.
        durability: "sync",
        streamMode: ["updates", "custom"],
        ...(opts.recursionLimit ? { recursionLimit: opts.recursionLimit } : {}),
      });
      for await (const chunk of stream) {
        const [mode, data] = Array.isArray(chunk) ? chunk : ["updates", chunk];
        if (mode === "custom") safely(() => opts.onCustom?.(data, ""));
        for (const id of saved.splice(0)) yield { type: "checkpoint", threadId, checkpoint: await store.load(id) };
      }
    } catch (err) {
      failure = err;
    }
    for (const id of saved.splice(0)) yield { type: "checkpoint", threadId, checkpoint: await store.load(id) };
    if (failure && isStoreUnavailable(failure)) throw failure; // the run manager continues it once the store answers
    // A save fenced out (another process took the thread over): the thread is that process's; write nothing.
    if (isFencedOut(failure)) lock.markLost();
    if (lock.lost) throw new WaypointError("THREAD_BUSY", `The run lost the lock of thread "${threadId}".`, { threadId, lost: true });

    // The checkpoint the run stopped at (fresh: LangGraph adds its interrupt / error writes after the save).
    const headId = (lastId as string | null) ?? (await lastSavedOnBranch(g, threadId, from));
    const cp = headId ? await store.load(headId) : null;
    const view = cp ? g.view(cp) : null;
    let status: RunStatus;
    let error: ThreadError | undefined;
    if (failure && signal.aborted) status = "cancelled";
    else if (failure) {
      status = "error";
      const snapshot = cp ? await g.app.getState(g.config(threadId, cp.id)).catch(() => null) : null;
      const node = snapshot?.tasks.filter((t) => t.error).map((t) => t.name) ?? [];
      error = { node: node.join(",") || null, message: messageOf(failure), checkpointId: cp?.id ?? null, at: new Date().toISOString() };
    } else status = view && (view.interrupts.length || view.next.length) ? "interrupted" : "done";
    const threadStatus: ThreadStatus = status === "cancelled" && view?.interrupts.length ? "interrupted" : status;
    await store.updateThread(threadId, { status: threadStatus, error: error ?? null, graphId: g.options.graphId });

    const shown = cp ? g.view(cp, threadStatus) : null;
    if (cp && shown && threadStatus === "interrupted") yield { type: "interrupt", threadId, interrupts: shown.interrupts, checkpoint: cp };
    if (error) yield { type: "error", threadId, error };
    const result: RunResult = {
      threadId,
      status,
      values: shown?.state ?? {},
      next: shown?.next ?? [],
      interrupts: shown?.interrupts ?? [],
      checkpoint: (shown ?? null) as Checkpoint,
      ...(error ? { error } : {}),
    };
    yield { type: "done", threadId, status, result };
    return result;
  } finally {
    stopListening();
    await lock.release();
  }
}

/** Nothing saved by the run (it failed at once): the checkpoint it started from. */
async function lastSavedOnBranch(g: LangGraphHost, threadId: string, from: Checkpoint | null): Promise<string | null> {
  if (from) return from.id;
  return (await g.store.latest(threadId))?.id ?? null;
}

function safely(fn: () => void) {
  try {
    fn();
  } catch {
    // a listener's error is not the run's
  }
}

function messageOf(err: unknown): string {
  return isWaypointError(err) || err instanceof Error ? err.message : String(err);
}
