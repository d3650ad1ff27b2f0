import type { RunnableConfig } from "@langchain/core/runnables";
import { threadCheckpoint } from "../../engine/thread-checkpoint";
import { WaypointError, checkpointNotFound, staleCheckpoint, threadNotFound } from "../../errors";
import { assertSafeId } from "../../checkpoint/ids";
import type { Checkpoint, CheckpointStore, ThreadStatus } from "../../checkpoint/types";
import { withThreadLock } from "../../engine/thread-lock";
import type { ForkOptions, GraphStructure, InvokeOptions, RunResult, State, StreamEvent, UpdateStateOptions } from "../../engine/types";
import { langGraphRecord, namespaceOf } from "../../langgraph/records";
import { checkJson, type JsonSchema } from "../../api/schema-check";
import { ObservedSaver, withSaver, type LangGraphApp } from "./lg-app";
import { describeLangGraph } from "./lg-describe";
import { langGraphView, statusOfView } from "./lg-view";
import { runLangGraph } from "./lg-run";
import type { RunnableGraph } from "./types";

export interface LangGraphOptions {
  graphId: string;
  lockTtlMs: number;
  recursionLimit?: number;
}

/**
 * A LangGraph.js compiled graph behind the `RunnableGraph` interface: it runs with `WaypointSaver` over the
 * server's store, so its threads are Waypoint threads (listed, locked, audited, shown like any other), and each
 * dashboard action is the LangGraph call a LangGraph.js user would make: `stream(input | Command)`,
 * `updateState(config, values, asNode)`, `updateState(old config, …)` for a fork, `stream(null)` to continue.
 */
export class LangGraphGraph implements RunnableGraph {
  readonly kind = "langgraph" as const;
  /** LangGraph records an interrupt as a pending write after the save, so only the full head shows it. */
  readonly summariesShowInterrupts = false;
  readonly app: LangGraphApp;
  readonly saver: ObservedSaver;
  private structure: GraphStructure | null = null;

  constructor(
    graph: LangGraphApp,
    readonly store: CheckpointStore,
    readonly options: LangGraphOptions,
  ) {
    this.saver = new ObservedSaver(store);
    this.app = withSaver(graph, this.saver);
  }

  stream(input: State | null, opts: InvokeOptions): AsyncGenerator<StreamEvent, RunResult> {
    return runLangGraph(this, input, opts);
  }

  view(cp: Checkpoint, status?: ThreadStatus): Checkpoint {
    return langGraphView(cp, status);
  }

  describe(): GraphStructure {
    return (this.structure ??= describeLangGraph(this.app, this.options.graphId));
  }

  /**
   * A resume needs a dynamic interrupt waiting at the checkpoint; LangGraph would otherwise ignore the value.
   * When one interrupt waits and declares a `responseSchema`, the answer must fit it (400 INVALID_RESUME with
   * each issue by path, as for a Waypoint node's resume schema), so a malformed answer never reaches the node.
   */
  async checkResume(threadId: string, resume: unknown, checkpointId?: string): Promise<Map<string, unknown>> {
    const cp = this.view(await this.checkpointOf(threadId, checkpointId));
    const waiting = cp.interrupts.filter((i) => i.kind === "dynamic") as (Checkpoint["interrupts"][number] & { responseSchema?: unknown })[];
    if (waiting.length === 0)
      throw new WaypointError("NO_PENDING_INTERRUPT", `Thread "${threadId}" has no interrupt waiting for an answer at v${cp.version}.`, {
        threadId,
        checkpointId: cp.id,
      });
    const schema = waiting.length === 1 ? waiting[0].responseSchema : undefined;
    if (schema && typeof schema === "object") {
      // Paths as dotted strings, as the engine's resume issues give them.
      const issues = checkJson(schema as JsonSchema, resume).map((i) => ({ path: i.path.join("."), message: i.message }));
      if (issues.length)
        throw new WaypointError(
          "INVALID_RESUME",
          `The answer to "${waiting[0].node}" does not fit its response schema: ${issues.map((i) => (i.path ? `${i.path}: ` : "") + i.message).join("; ")}.`,
          { node: waiting[0].node, issues },
        );
    }
    return new Map();
  }

  /** LangGraph's `updateState`: a child of the checkpoint (default: the latest), as `asNode` if given. */
  async updateState(threadId: string, values: Partial<State>, options: UpdateStateOptions = {}): Promise<Checkpoint> {
    assertSafeId(threadId, "thread");
    this.checkAsNode(options.asNode);
    checkValues(values);
    return withThreadLock(this.store, threadId, this.options.lockTtlMs, async (lockOwner) => {
      const latest = await this.store.latest(threadId);
      if (options.expectedCheckpointId !== undefined && (latest?.id ?? null) !== options.expectedCheckpointId)
        throw staleCheckpoint(threadId, options.expectedCheckpointId, latest?.id ?? null);
      const base = options.checkpointId !== undefined ? await this.checkpointOf(threadId, options.checkpointId) : latest;
      if (!base) throw threadNotFound(threadId);
      this.refuseEngineCheckpoint(base);
      const meta = { ...options.metadata, actor: options.actor, reason: options.reason };
      const cfg = await this.recording(threadId, meta, lockOwner, () => this.app.updateState(this.config(threadId, base.id), values, options.asNode));
      return this.settle(threadId, String(cfg.configurable?.checkpoint_id));
    });
  }

  /**
   * A fork: the old checkpoint copied (same channel values and versions, so the same next nodes; source "fork")
   * as its child in the same thread, or as the first checkpoint of a new thread; then, given values, LangGraph's
   * `updateState` on the copy (as `asNode` if given). Not LangGraph's `"__copy__"` update: it saves the copy
   * under the old checkpoint's parent with no channel marked new, which a saver storing values per version
   * (as WaypointSaver does, against the parent) would read back without the old checkpoint's values.
   */
  async fork(threadId: string, checkpointId: string, options: ForkOptions = {}): Promise<Checkpoint> {
    assertSafeId(threadId, "thread");
    this.checkAsNode(options.asNode);
    if (options.values !== undefined) checkValues(options.values);
    const base = await this.checkpointOf(threadId, checkpointId);
    this.refuseEngineCheckpoint(base);
    const target = options.newThreadId ?? threadId;
    assertSafeId(target, "thread");
    const hasValues = options.values !== undefined && Object.keys(options.values).length > 0;
    const meta = { ...options.metadata, actor: options.actor, reason: options.reason, forkedFrom: { threadId, checkpointId, version: base.version } };
    return withThreadLock(this.store, target, this.options.lockTtlMs, async (lockOwner) => {
      if (target !== threadId && (await this.store.latest(target)))
        throw new WaypointError("THREAD_EXISTS", `Thread "${target}" already exists; fork into a new thread id.`, { threadId: target });
      // The copy is fenced by the lock like the update after it: a fork whose lock was taken over writes nothing.
      let id = await this.recording(target, {}, lockOwner, () => this.copyInto(base, target, meta, target === threadId ? base.id : undefined));
      if (hasValues || options.asNode) {
        const cfg = await this.recording(target, meta, lockOwner, () =>
          this.app.updateState(this.config(target, id), options.values ?? {}, options.asNode),
        );
        id = String(cfg.configurable?.checkpoint_id);
      }
      if (target !== threadId) {
        const from = await this.store.getThread(threadId).catch(() => null);
        await this.store.updateThread(target, {
          graphId: this.options.graphId,
          metadata: { ...(from?.metadata ?? {}), forkedFrom: { threadId, checkpointId, version: base.version } },
        });
      }
      return this.settle(target, id);
    });
  }

  /** The config LangGraph calls take: the thread and optionally a checkpoint. */
  config(threadId: string, checkpointId?: string): RunnableConfig {
    return {
      configurable: { thread_id: threadId, checkpoint_ns: "", ...(checkpointId ? { checkpoint_id: checkpointId } : {}) },
      ...(this.options.recursionLimit ? { recursionLimit: this.options.recursionLimit } : {}),
    };
  }

  /** LangGraph's own checks (an update to an unknown channel, a node returning bad values) become 422s. */
  async lg<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const name = (err as { name?: string })?.name;
      if (name === "InvalidUpdateError" || name === "EmptyChannelError" || name === "GraphValueError")
        throw new WaypointError("INVALID_UPDATE", `LangGraph refused the update: ${(err as Error).message}`);
      throw err;
    }
  }

  checkpointOf(threadId: string, checkpointId?: string): Promise<Checkpoint> {
    return threadCheckpoint(this.store, threadId, checkpointId);
  }

  refuseEngineCheckpoint(cp: Checkpoint): void {
    if (!langGraphRecord(cp))
      throw new WaypointError(
        "CONFLICT",
        `Thread "${cp.threadId}" holds checkpoints of Waypoint's engine; graph "${this.options.graphId}" is a LangGraph.js graph.`,
        {
          threadId: cp.threadId,
        },
      );
    if (namespaceOf(cp) !== "")
      throw new WaypointError("INVALID_ARGUMENT", `Checkpoint "${cp.id}" belongs to a subgraph; fork or edit its parent graph's checkpoints.`);
  }

  /** After an edit or fork: the saved checkpoint, and the thread's status from it (LangGraph's next / interrupts). */
  private async settle(threadId: string, checkpointId: string): Promise<Checkpoint> {
    const cp = await this.store.load(checkpointId);
    await this.store.updateThread(threadId, { status: statusOfView(this.view(cp)), error: null, graphId: this.options.graphId });
    return cp;
  }

  /** LangGraph's call with `metadata` recorded on what it saves, which the lock fences (see ObservedSaver.listen). */
  private async recording<T>(threadId: string, metadata: Record<string, unknown>, lockOwner: string, fn: () => Promise<T>): Promise<T> {
    const stop = this.saver.listen(threadId, () => {}, metadata, lockOwner);
    try {
      return await this.lg(fn);
    } finally {
      stop();
    }
  }

  /** The old checkpoint copied into `target` (under `parentId`, or as its first): LangGraph's record as is, every channel written anew. */
  private async copyInto(base: Checkpoint, target: string, meta: Record<string, unknown>, parentId?: string): Promise<string> {
    const tuple = await this.saver.getTuple({ configurable: { thread_id: base.threadId, checkpoint_ns: "", checkpoint_id: base.id } });
    if (!tuple) throw checkpointNotFound(base.id);
    const { uuid6 } = await import("@langchain/langgraph-checkpoint");
    const copy = { ...tuple.checkpoint, id: uuid6(-1) };
    const step = typeof tuple.metadata?.step === "number" ? tuple.metadata.step : base.step;
    const saved = await this.saver.put(
      { configurable: { thread_id: target, checkpoint_ns: "", ...(parentId ? { checkpoint_id: parentId } : {}) } },
      copy,
      { ...Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== undefined)), source: "fork", step, parents: {} },
      { ...copy.channel_versions },
    );
    return String(saved.configurable?.checkpoint_id);
  }

  private checkAsNode(asNode: string | undefined) {
    if (asNode !== undefined && asNode !== "__input__" && !(asNode in this.app.nodes))
      throw new WaypointError("UNKNOWN_NODE", `asNode names unknown node "${asNode}".`, { node: asNode });
  }
}

function checkValues(values: unknown): void {
  if (typeof values !== "object" || values === null || Array.isArray(values))
    throw new WaypointError("INVALID_UPDATE", "State values must be an object of channel values.");
}
