import type { Checkpoint, ThreadStatus } from "../../checkpoint/types";
import type { ForkOptions, GraphStructure, InvokeOptions, RunResult, State, StreamEvent, UpdateStateOptions } from "../../engine/types";

/**
 * "A graph the server can run": what the run manager (runs.ts, recovery.ts, fork-run.ts), the thread services
 * (threads.ts) and the dashboard's API need of a registered graph, whatever executes it. Two implementations:
 * Waypoint's engine (engine.ts, a thin wrapper of `CompiledGraph`) and LangGraph.js (langgraph.ts, a compiled
 * `StateGraph` checkpointed by `WaypointSaver`). Callers never branch on `kind`; it is there for logs and tests.
 *
 * The contract both keep (the engine's, which the API was built on):
 * - `stream` takes the thread's store lock (THREAD_BUSY when held), validates the call, marks the thread
 *   "running" and only then yields `start`; errors before `start` change nothing. It ends with the run's result
 *   after writing the thread's final status (done / interrupted / error / cancelled) and releasing the lock.
 *   `input` starts a run; null continues from the latest checkpoint (a retry after an error, a crash resume) or,
 *   with `checkpointId`, from that one as a branch; `command.resume` answers a pending interrupt.
 * - `updateState` / `fork` save a new checkpoint under the lock and set the thread's status from it.
 * - `view` turns a stored checkpoint into what the API shows (its `next`, pending interrupts, user channels).
 */
export interface RunnableGraph {
  readonly kind: "waypoint" | "langgraph";
  stream(input: State | null, opts: InvokeOptions): AsyncGenerator<StreamEvent, RunResult>;
  /** Refuses (400 / 409) a resume value that the checkpoint (default: the latest) cannot take, running nothing. */
  checkResume(threadId: string, resume: unknown, checkpointId?: string): Promise<unknown>;
  updateState(threadId: string, values: Partial<State>, options?: UpdateStateOptions): Promise<Checkpoint>;
  fork(threadId: string, checkpointId: string, options?: ForkOptions): Promise<Checkpoint>;
  describe(): GraphStructure;
  /** Whether a checkpoint summary (no state, no pending writes) already names the interrupts it waits at. */
  readonly summariesShowInterrupts: boolean;
  /** `status`: the thread's, when `cp` is its head (a LangGraph static interrupt is known only from it). */
  view(cp: Checkpoint, status?: ThreadStatus): Checkpoint;
}
