import { WaypointError, staleCheckpoint } from "../errors";
import { threadCheckpoint } from "./thread-checkpoint";
import { assertSafeId, newCheckpointId } from "../checkpoint/ids";
import {
  FORK_NODE,
  UPDATE_NODE,
  type Checkpoint,
  type CheckpointStore,
  type ListOptions,
  type NewCheckpoint,
  type ThreadStatus,
} from "../checkpoint/types";
import { applyWrites, initialState, toWrites } from "./channels";
import { describeGraph, type GraphDef } from "./definition";
import { withThreadLock } from "./thread-lock";
import { nextFrom, staticInterrupts } from "./routing";
import { runGraph } from "./runner";
import { checkResumes, resumeValuesFor } from "./resume";
import { RESUME } from "./constants";
import type {
  CompileConfig,
  ForkOptions,
  GraphStructure,
  InvokeOptions,
  RunResult,
  State,
  StateSnapshot,
  StreamEvent,
  UpdateStateOptions,
} from "./types";

/**
 * The edit sent back for review: dynamic interrupts dropped with the answers their nodes already had (a node
 * asking twice asks from its first question again); `next` kept, so the next run re-runs those nodes.
 */
function reask<C extends Pick<Checkpoint, "interrupts" | "pendingWrites">>(cp: C): C {
  const asking = new Set(cp.interrupts.filter((i) => i.kind === "dynamic").map((i) => i.node));
  return {
    ...cp,
    interrupts: cp.interrupts.filter((i) => i.kind !== "dynamic"),
    pendingWrites: cp.pendingWrites.filter((p) => !(p.channel === RESUME && asking.has(p.node))),
  };
}

const snapshot = (cp: Checkpoint): StateSnapshot => ({ values: cp.state, next: cp.next, interrupts: cp.interrupts, checkpoint: cp });

/** Thread status implied by a checkpoint when no run is going on. */
export const statusOf = (cp: Pick<Checkpoint, "interrupts" | "next">): ThreadStatus =>
  cp.interrupts.length ? "interrupted" : cp.next.length ? "idle" : "done";

/**
 * A compiled graph bound to a checkpoint store: the seed's CheckpointableRunnable. Every operation really does
 * what its name says: resumes run the graph, edits apply to the checkpoint named, forks branch.
 */
export class CompiledGraph {
  readonly store: CheckpointStore;

  constructor(
    private readonly def: GraphDef,
    readonly config: CompileConfig,
  ) {
    this.store = config.store;
  }

  /**
   * Streams a run's events. `input` starts a run (on top of the thread's latest state, if any); `null`
   * continues the thread from its latest checkpoint, or from `checkpointId` as a new branch.
   */
  stream(input: State | null, opts: InvokeOptions): AsyncGenerator<StreamEvent, RunResult> {
    return runGraph({ def: this.def, config: this.config }, input, opts);
  }

  /** Runs to the end or the next interrupt. A failed node rejects with NODE_FAILED once recorded on the thread. */
  async invoke(input: State | null, opts: InvokeOptions): Promise<RunResult> {
    const gen = this.stream(input, opts);
    for (;;) {
      const { value, done } = await gen.next();
      if (done) {
        if (value.status === "error") {
          const e = value.error!;
          throw new WaypointError("NODE_FAILED", e.node ? `Node "${e.node}" failed: ${e.message}` : e.message, {
            node: e.node,
            message: e.message,
            checkpointId: e.checkpointId,
            threadId: opts.threadId,
          });
        }
        return value;
      }
    }
  }

  /** = invoke(null, { threadId, checkpointId }): continues from that checkpoint (a new branch if it is not the head). */
  resumeFromCheckpoint(threadId: string, checkpointId: string, opts: Omit<InvokeOptions, "threadId" | "checkpointId"> = {}): Promise<RunResult> {
    return this.invoke(null, { ...opts, threadId, checkpointId });
  }

  /**
   * Checks a resume value against the interrupts of `checkpointId` (default: the latest) and their nodes'
   * declared schemas, without running anything: a caller with its own bookkeeping to do first (the server
   * records quorum approvals) refuses a malformed answer before it. Returns the values the nodes would get.
   */
  async checkResume(threadId: string, resume: unknown, checkpointId?: string): Promise<Map<string, unknown>> {
    return checkResumes(this.def, resumeValuesFor(await this.checkpointOf(threadId, checkpointId), resume, null));
  }

  async getState(threadId: string, checkpointId?: string): Promise<StateSnapshot> {
    return snapshot(await this.checkpointOf(threadId, checkpointId));
  }

  /** Newest first. */
  async getStateHistory(threadId: string, options: { limit?: number; before?: number } = {}): Promise<StateSnapshot[]> {
    assertSafeId(threadId, "thread");
    const list = await this.store.list(threadId, { order: "desc", limit: options.limit, before: options.before });
    return list.map(snapshot);
  }

  /**
   * A human edit: a child of `checkpointId` (default: the latest) with `values` applied through the reducers.
   * With `asNode`, as if that node wrote them (next = its edges, interrupts cleared); without, next and
   * interrupts stay. Editing an old checkpoint makes a branch; the old branch stays untouched.
   */
  async updateState(threadId: string, values: Partial<State>, options: UpdateStateOptions = {}): Promise<Checkpoint> {
    assertSafeId(threadId, "thread");
    if (options.checkpointId !== undefined) assertSafeId(options.checkpointId, "checkpoint");
    this.checkAsNode(options.asNode);
    return withThreadLock(this.store, threadId, this.lockTtl, async (lockOwner) => {
      const latest = await this.store.latest(threadId);
      if (options.expectedCheckpointId !== undefined && (latest?.id ?? null) !== options.expectedCheckpointId)
        throw staleCheckpoint(threadId, options.expectedCheckpointId, latest?.id ?? null);
      const base = options.checkpointId !== undefined ? await this.checkpointOf(threadId, options.checkpointId) : latest;
      // An edit where the thread's step failed (to remove the cause) keeps that step's failed tries in the history.
      const error = base ? (await this.store.getThread(threadId).catch(() => null))?.error : null;
      const failed = error?.checkpointId === base?.id && error?.attempts?.length ? { failedAttempts: error.attempts } : {};
      const edited = await this.derive(base, values, options.asNode, UPDATE_NODE, {
        ...options.metadata,
        ...failed,
        source: "update",
        actor: options.actor,
        reason: options.reason,
        ...(options.reask ? { reask: true } : {}),
      });
      const draft = options.reask && !options.asNode ? reask(edited) : edited;
      const saved = await this.store.save({ ...draft, threadId, parentId: base?.id ?? null }, { lockOwner });
      await this.afterEdit(threadId, saved);
      return saved;
    });
  }

  /**
   * A `__fork__` checkpoint from `checkpointId`: a branch in the same thread, or (with `newThreadId`) the first
   * checkpoint of a new thread. Continue it with `invoke(null, { threadId, checkpointId: fork.id })`.
   */
  async fork(threadId: string, checkpointId: string, options: ForkOptions = {}): Promise<Checkpoint> {
    assertSafeId(threadId, "thread");
    assertSafeId(checkpointId, "checkpoint");
    const target = options.newThreadId ?? threadId;
    assertSafeId(target, "thread");
    this.checkAsNode(options.asNode);
    const base = await this.checkpointOf(threadId, checkpointId);
    return withThreadLock(this.store, target, this.lockTtl, async (lockOwner) => {
      if (target !== threadId && (await this.store.latest(target)))
        throw new WaypointError("THREAD_EXISTS", `Thread "${target}" already exists; fork into a new thread id.`, { threadId: target });
      const draft = await this.derive(base, options.values ?? {}, options.asNode, FORK_NODE, {
        ...options.metadata,
        source: "fork",
        actor: options.actor,
        reason: options.reason,
        forkedFrom: { threadId, checkpointId, version: base.version },
      });
      const saved = await this.store.save({ ...draft, threadId: target, parentId: target === threadId ? base.id : null }, { lockOwner });
      if (target !== threadId) {
        const from = await this.store.getThread(threadId).catch(() => null);
        await this.store.updateThread(target, {
          graphId: from?.graphId ?? this.config.graphId ?? null,
          // The source's version goes with it, so "forked from <thread> @ v<n>" needs no lookup.
          metadata: { ...(from?.metadata ?? {}), forkedFrom: { threadId, checkpointId, version: base.version } },
        });
      }
      await this.afterEdit(target, saved);
      return saved;
    });
  }

  saveCheckpoint(checkpoint: NewCheckpoint): Promise<Checkpoint> {
    return this.store.save(checkpoint);
  }

  loadCheckpoint(checkpointId: string): Promise<Checkpoint> {
    return this.store.load(checkpointId);
  }

  listCheckpoints(threadId: string, options?: ListOptions): Promise<Checkpoint[]> {
    return this.store.list(threadId, options);
  }

  /** Deletes the thread's checkpoints and record; refuses (THREAD_BUSY) while a run is active. */
  clearCheckpoints(threadId: string): Promise<void> {
    assertSafeId(threadId, "thread");
    return withThreadLock(this.store, threadId, this.lockTtl, () => this.store.clear(threadId));
  }

  describe(): GraphStructure {
    return describeGraph(this.def, this.config);
  }

  private get lockTtl() {
    return this.config.lockTtlMs ?? 30_000;
  }

  private checkAsNode(asNode: string | undefined) {
    if (asNode !== undefined && !this.def.nodes.has(asNode))
      throw new WaypointError("UNKNOWN_NODE", `asNode names unknown node "${asNode}".`, { node: asNode });
  }

  private checkpointOf(threadId: string, checkpointId?: string): Promise<Checkpoint> {
    return threadCheckpoint(this.store, threadId, checkpointId);
  }

  /** The edited or forked checkpoint's content (validated before anything is saved). */
  private async derive(
    base: Checkpoint | null,
    values: Partial<State>,
    asNode: string | undefined,
    nodeName: string,
    meta: {
      source: "update" | "fork";
      actor?: string;
      reason?: string;
      forkedFrom?: { threadId: string; checkpointId: string; version?: number };
      [extra: string]: unknown;
    },
  ): Promise<Omit<NewCheckpoint, "threadId" | "parentId">> {
    if (typeof values !== "object" || values === null || Array.isArray(values))
      throw new WaypointError("INVALID_UPDATE", "State values must be an object of channel values.");
    const writes = toWrites(this.def.schema, asNode ?? nodeName, values);
    const state = applyWrites(this.def.schema, base ? base.state : initialState(this.def.schema), writes, false);
    const next = asNode ? await nextFrom(this.def, asNode, state, null) : (base?.next ?? []);
    const clean = Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== undefined));
    return {
      id: newCheckpointId(),
      step: base ? base.step + 1 : -1,
      nodeName,
      state,
      next,
      interrupts: asNode ? staticInterrupts(this.config, [], next) : (base?.interrupts ?? []),
      pendingWrites: asNode ? [] : (base?.pendingWrites ?? []),
      metadata: { ...clean, source: meta.source, writes },
      timestamp: new Date().toISOString(),
    };
  }

  private async afterEdit(threadId: string, cp: Checkpoint) {
    if (this.config.maxCheckpoints) await this.store.prune(threadId, this.config.maxCheckpoints);
    await this.store.updateThread(threadId, {
      status: statusOf(cp),
      error: null,
      ...(this.config.graphId ? { graphId: this.config.graphId } : {}),
    });
  }
}
