import { WaypointError, checkpointNotFound, isFencedOut, isWaypointError, staleCheckpoint } from "../errors";
import { assertSafeId, newCheckpointId } from "../checkpoint/ids";
import {
  INPUT_NODE,
  UPDATE_NODE,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointStore,
  type FailedAttempt,
  type NewCheckpoint,
  type PendingInterrupt,
  type PendingWrite,
  type SaveOptions,
  type ThreadError,
  type ThreadStatus,
} from "../checkpoint/types";
import { applyWrites, initialState, toWrites } from "./channels";
import { END, RESUME, START } from "./constants";
import type { GraphDef } from "./definition";
import { ThreadLock } from "./thread-lock";
import { bindStore, endSpan, startSpan, withContext } from "./tracing";
import { nextFrom, staticInterrupts } from "./routing";
import { checkResumes, resumeValuesFor } from "./resume";
import { errorMessage, outcomeToPending, pendingResumes, pendingToOutcomes, runTask, type TaskOutcome } from "./tasks";
import type { CompileConfig, InvokeOptions, RunResult, State, StreamEvent } from "./types";
import type { Context } from "@opentelemetry/api";

/** A checkpoint being built by the run; `saved` is set once the store has it (autoSave off may skip some). */
interface Working {
  step: number;
  nodeName: string;
  state: State;
  next: string[];
  interrupts: PendingInterrupt[];
  pendingWrites: PendingWrite[];
  metadata: CheckpointMetadata;
  saved: Checkpoint | null;
  /** The thread status written with its save (SaveOptions.thread), so finish() need not write it again. */
  savedStatus?: ThreadStatus;
}

type Ok = Extract<TaskOutcome, { kind: "ok" }>;
type Interrupted = Extract<TaskOutcome, { kind: "interrupt" }>;

const fromCheckpoint = (cp: Checkpoint): Working => ({ ...cp, saved: cp });
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Everything one run needs; built by CompiledGraph. */
export interface RunContext {
  def: GraphDef;
  config: CompileConfig;
}

/**
 * The run loop, as an async generator of events. Invariants:
 * - a checkpoint is saved after every step (unless autoSave is off), before the next step starts;
 * - a failed step changes no checkpoint's state: it records the error on the thread and keeps the writes of
 *   siblings that completed as pending writes of the checkpoint the step started from;
 * - errors in the call itself (bad ids, busy thread, unknown checkpoint, missing resume) are thrown before
 *   anything is written; errors of the run are reported as `error` + `done` events and recorded on the thread.
 *
 * In three parts: `checkCall` (the arguments, before the lock), `Run.start` (where the run starts, validated
 * before anything is written) and `Run.loop` (one `step` after another until an interrupt, the end or an error).
 */
export async function* runGraph(rc: RunContext, input: State | null, opts: InvokeOptions): AsyncGenerator<StreamEvent, RunResult> {
  const gotoList = checkCall(rc.def, input, opts);
  const threadId = opts.threadId;
  const { span, ctx: spanCtx } = startSpan("waypoint.run", { "waypoint.thread_id": threadId, "waypoint.graph_id": rc.config.graphId ?? "" });
  const store = bindStore(rc.config.store, () => spanCtx);
  let lock: ThreadLock;
  try {
    // A run from the thread's head reads it with the lock (one round trip where the store allows).
    lock = await ThreadLock.acquire(store, threadId, rc.config.lockTtlMs ?? 30_000, opts.checkpointId === undefined);
  } catch (err) {
    endSpan(span, err);
    throw err;
  }
  const ac = new AbortController();
  const onOuterAbort = () => ac.abort(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
  lock.onLost = () => ac.abort(new WaypointError("THREAD_BUSY", `Lost the run lock on thread "${threadId}".`, { threadId, lost: true }));
  let run: Run | null = null;
  // How the run span ends: with the result, the error, or neither (the caller stopped iterating early).
  let result: RunResult | null = null;
  let failure: { err: unknown } | null = null;
  try {
    run = await withContext(spanCtx, () =>
      Run.start(rc, input, opts, gotoList, ac.signal, () => !!opts.signal?.aborted && !lock.lost, spanCtx, lock),
    );
    result = yield* run.loop();
    return result;
  } catch (err) {
    failure = { err };
    // A cancel that surfaced as a thrown error still leaves the thread resumable; a lost lock means another process owns it now.
    if (ac.signal.aborted && !lock.lost) await store.updateThread(threadId, { status: "cancelled" }).catch(() => {});
    else if (run?.markedRunning && !lock.lost) await recordStop(store, threadId, err);
    throw err;
  } finally {
    opts.signal?.removeEventListener("abort", onOuterAbort);
    await lock.release();
    endSpan(span, failure?.err, {
      "waypoint.run.status": result?.status ?? (failure ? "thrown" : "abandoned"),
      "waypoint.run.steps": run?.steps ?? 0,
    });
  }
}

/** Validates the call's arguments (before the lock is taken); returns command.goto as a list (null: none). */
function checkCall(def: GraphDef, input: State | null, opts: InvokeOptions): string[] | null {
  assertSafeId(opts.threadId, "thread");
  if (opts.checkpointId !== undefined) assertSafeId(opts.checkpointId, "checkpoint");
  if (input !== null && !isPlainObject(input))
    throw new WaypointError("INVALID_UPDATE", "Run input must be an object of channel values (or null to continue).");
  const goto = opts.command?.goto;
  const gotoList = goto === undefined ? null : Array.isArray(goto) ? goto : [goto];
  for (const n of gotoList ?? [])
    if (n !== END && !def.nodes.has(n)) throw new WaypointError("UNKNOWN_NODE", `command.goto names unknown node "${n}".`, { node: n });
  return gotoList;
}

/** How a run begins: the checkpoint its first step runs from, and whether that one must be saved first. */
interface Beginning {
  base: Checkpoint | null;
  first: Working;
  /** Resume values for the first step, by node (answering the interrupts of the checkpoint it continues). */
  firstResumes: Map<string, unknown>;
  /** True when the first step runs past the interrupts of `first` (a continued thread); false for a new input. */
  passInterrupts: boolean;
  saveFirst: boolean;
  /**
   * Failed tries of the first step from earlier runs (a Retry continues the checkpoint where the thread's error
   * was recorded): kept with this run's, so a step that fails again, or then succeeds, still shows them all.
   */
  earlier: FailedAttempt[];
}

/** One run of a thread, holding its lock: the checkpoint being built, the last one saved, and the steps. */
class Run {
  private readonly store: CheckpointStore;
  private readonly threadId: string;
  private readonly runMeta: Record<string, unknown>;
  private cp: Working;
  private passInterrupts: boolean;
  /** See Beginning.earlier; emptied once the first step has used them. */
  private earlier: FailedAttempt[];
  private lastSaved: Checkpoint | null;
  private lastSaveAt = Date.now();
  /** Set once the thread is marked running: a run that throws after that records why (recordStop). */
  markedRunning = false;
  /** Steps run so far (for the run's span). */
  steps = 0;
  /** The span store calls are made under: the current step's, else the run's (tracing.ts). */
  private spanCtx: Context;

  private constructor(
    private readonly rc: RunContext,
    private readonly opts: InvokeOptions,
    private readonly signal: AbortSignal,
    /** True once the caller cancelled the run (its signal), as opposed to the lock being lost. */
    private readonly cancelled: () => boolean,
    private readonly begin: Beginning,
    private readonly runCtx: Context,
    private readonly lock: ThreadLock,
  ) {
    this.spanCtx = runCtx;
    this.store = bindStore(rc.config.store, () => this.spanCtx);
    this.threadId = opts.threadId;
    this.runMeta = opts.metadata ?? {};
    this.cp = begin.first;
    this.passInterrupts = begin.passInterrupts;
    this.earlier = begin.earlier;
    this.lastSaved = begin.base;
  }

  /** Where the run starts: computed (and validated) before anything is written. */
  static async start(
    rc: RunContext,
    input: State | null,
    opts: InvokeOptions,
    gotoList: string[] | null,
    signal: AbortSignal,
    cancelled: () => boolean,
    spanCtx: Context,
    lock: ThreadLock,
  ): Promise<Run> {
    const { def, config } = rc;
    const { store } = config;
    const threadId = opts.threadId;
    const command = opts.command ?? {};
    const runMeta = opts.metadata ?? {};
    let base: Checkpoint | null;
    if (opts.checkpointId !== undefined) {
      base = await store.load(opts.checkpointId);
      if (base.threadId !== threadId) throw checkpointNotFound(opts.checkpointId);
    } else base = lock.latest !== undefined ? lock.latest : await store.latest(threadId);
    if (opts.expectedCheckpointId !== undefined) {
      const head = opts.checkpointId === undefined ? base : await store.latest(threadId);
      if ((head?.id ?? null) !== opts.expectedCheckpointId) throw staleCheckpoint(threadId, opts.expectedCheckpointId, head?.id ?? null);
    }
    if (input === null && !base)
      throw new WaypointError("THREAD_NOT_FOUND", `Thread "${threadId}" has no checkpoint to continue from; start it with an input.`, { threadId });
    const startFrom = input === null ? base! : null;
    const firstResumes = startFrom ? checkResumes(def, resumeValuesFor(startFrom, command.resume, gotoList)) : new Map<string, unknown>();
    const updateWrites = command.update !== undefined ? toWrites(def.schema, UPDATE_NODE, command.update) : [];
    const inputWrites = input !== null ? toWrites(def.schema, INPUT_NODE, input) : [];

    let begin: Beginning;
    if (input !== null) {
      // A new input: a checkpoint of its own (on top of the thread's latest state, if any), run from START.
      const state = applyWrites(def.schema, base ? base.state : initialState(def.schema), inputWrites, false);
      const next = await nextFrom(def, START, state, null);
      const first: Working = {
        step: base ? base.step + 1 : -1,
        nodeName: INPUT_NODE,
        state,
        next,
        interrupts: staticInterrupts(config, [], next),
        pendingWrites: [],
        metadata: { ...runMeta, source: "input", writes: inputWrites },
        saved: null,
      };
      begin = { base, first, firstResumes, passInterrupts: false, saveFirst: true, earlier: [] };
    } else if (updateWrites.length || gotoList) {
      // command.update / goto: a checkpoint recording them, whose step runs with the resume values.
      const state = applyWrites(def.schema, base!.state, updateWrites, false);
      const next = gotoList ? gotoList.filter((n) => n !== END) : base!.next;
      const first: Working = {
        step: base!.step + 1,
        nodeName: UPDATE_NODE,
        state,
        next,
        interrupts: base!.interrupts.filter((i) => next.includes(i.node)),
        pendingWrites: base!.pendingWrites.filter((p) => next.includes(p.node)),
        metadata: { ...runMeta, source: "update", writes: updateWrites, ...(gotoList ? { goto: gotoList } : {}) },
        saved: null,
      };
      begin = { base, first, firstResumes, passInterrupts: true, saveFirst: true, earlier: [] };
    } else {
      // A plain continue (or resume): from the checkpoint itself — a Retry when the thread's error was recorded there.
      // Only a continue without an answer can be a Retry: a resume skips the extra read (run bookkeeping stays 3 calls).
      const error = command.resume === undefined ? (await store.getThread(threadId).catch(() => null))?.error : null;
      const earlier = error?.checkpointId === base!.id ? (error.attempts ?? []) : [];
      begin = { base, first: fromCheckpoint(base!), firstResumes, passInterrupts: true, saveFirst: false, earlier };
    }
    return new Run(rc, opts, signal, cancelled, begin, spanCtx, lock);
  }

  /** Marks the thread running, then runs steps until the run is interrupted, done or failed. */
  async *loop(): AsyncGenerator<StreamEvent, RunResult> {
    const { config } = this.rc;
    const threadId = this.threadId;
    // The run's first checkpoint (input / update) is saved before the thread is marked running: a value the
    // store refuses then changes nothing, and a crash never leaves a "running" thread that lacks it. Marking the
    // thread running rides on that save (same atomic step); a plain continue saves nothing first, so it updates.
    const first = this.begin.saveFirst ? await this.save(this.cp, "running") : null;
    if (!first) await this.store.updateThread(threadId, { status: "running", error: null, ...(config.graphId ? { graphId: config.graphId } : {}) });
    this.markedRunning = true;
    yield { type: "start", threadId, from: this.begin.base?.id ?? null };
    if (first) yield { type: "checkpoint", threadId, checkpoint: first };

    const limit = this.opts.recursionLimit ?? config.recursionLimit ?? 10_000;
    for (let steps = 0; ; steps++) {
      if (this.cp.interrupts.length && !this.passInterrupts) return yield* this.finish("interrupted");
      if (this.cp.next.length === 0) return yield* this.finish("done");
      if (this.signal.aborted) return yield* this.stopAborted();
      if (steps >= limit)
        return yield* this.fail(new WaypointError("RECURSION_LIMIT", `The run took more than ${limit} steps without finishing.`), null);
      const { span, ctx } = startSpan("waypoint.step", { "waypoint.step": this.cp.step + 1, "waypoint.nodes": this.cp.next.join(",") }, this.runCtx);
      this.spanCtx = ctx;
      this.steps++;
      let ended: RunResult | null;
      try {
        ended = yield* this.step(ctx);
      } catch (err) {
        endSpan(span, err);
        throw err;
      } finally {
        this.spanCtx = this.runCtx;
      }
      span.end();
      if (ended) return ended;
    }
  }

  /**
   * One super-step from `cp`: its nodes run concurrently (those already completed are taken from its pending
   * writes). Returns the run's result if the step ended it (a node failed or interrupted), else null.
   */
  private async *step(spanCtx: Context): AsyncGenerator<StreamEvent, RunResult | null> {
    const cp = this.cp;
    const tasks = cp.next;
    const done = pendingToOutcomes(cp.pendingWrites);
    const resumes = pendingResumes(cp.pendingWrites);
    if (this.passInterrupts) for (const [node, value] of this.begin.firstResumes) resumes.set(node, [...(resumes.get(node) ?? []), value]);
    this.passInterrupts = false;
    const onCustom = this.opts.onCustom;
    // What a node emits goes to the run's listener (InvokeOptions.onCustom); a listener's failure is not the node's.
    const emitFrom = (data: unknown, node: string) => {
      try {
        onCustom?.(data, node);
      } catch {
        /* ignored */
      }
    };
    const ctx = { threadId: this.threadId, step: cp.step + 1, signal: this.signal, configurable: this.opts.configurable ?? {}, emitFrom };
    const startedAt = Date.now();
    const outcomes = await untilAborted(
      this.signal,
      withContext(spanCtx, () => Promise.all(tasks.map((n) => done.get(n) ?? runTask(this.rc.def, n, cp.state, ctx, resumes.get(n) ?? [])))),
    );
    // Cancelled mid-step: whatever the step's nodes did or are still doing is discarded (no writes are kept, not
    // even a finished sibling's), so the thread stays exactly at the checkpoint the step started from.
    if (outcomes === null || this.signal.aborted) return yield* this.stopAborted();
    const timing: StepTiming = { durationMs: Date.now() - startedAt, failedAttempts: this.failedTries(outcomes) };
    const ok = outcomes.filter((o): o is Ok => o.kind === "ok").sort((a, b) => (a.node < b.node ? -1 : 1));
    const keptResumes = outcomes.flatMap((o) =>
      o.kind !== "ok" && resumes.get(o.node)?.length ? [{ node: o.node, channel: RESUME, value: resumes.get(o.node) }] : [],
    );
    const failed = outcomes.find((o) => o.kind === "error");
    if (failed && failed.kind === "error") {
      await this.save(cp);
      await this.store.putWrites(cp.saved!.id, [...ok.flatMap(outcomeToPending), ...keptResumes]);
      return yield* this.fail(failed.error, failed.node, timing.failedAttempts);
    }
    const interrupted = outcomes.filter((o): o is Interrupted => o.kind === "interrupt");
    if (interrupted.length) return yield* this.interrupt(tasks, interrupted, [...ok.flatMap(outcomeToPending), ...keptResumes], timing);
    return yield* this.advance(ok, timing);
  }

  /** The step's failed tries, after those of earlier runs of it (numbered as the next run). */
  private failedTries(outcomes: TaskOutcome[]): FailedAttempt[] {
    const earlier = this.earlier;
    this.earlier = [];
    const run = earlier.reduce((n, a) => Math.max(n, a.run), 0) + 1;
    return [...earlier, ...outcomes.flatMap((o) => (o.failed ?? []).map((a) => ({ ...a, run })))];
  }

  /** Nodes of the step interrupted: a checkpoint of the same step records the interrupts and what the others wrote. */
  private async *interrupt(
    tasks: string[],
    interrupted: Interrupted[],
    pendingWrites: PendingWrite[],
    timing: StepTiming,
  ): AsyncGenerator<StreamEvent, RunResult> {
    const cp = this.cp;
    await this.save(cp);
    this.cp = {
      step: cp.step,
      nodeName: interrupted.map((o) => o.node).join(","),
      state: cp.state,
      next: tasks,
      interrupts: interrupted.map((o) => ({ id: newCheckpointId(), node: o.node, kind: "dynamic" as const, value: o.value })),
      pendingWrites,
      metadata: { ...this.runMeta, source: "loop", writes: [], ...timingMeta(timing) },
      saved: null,
    };
    yield { type: "checkpoint", threadId: this.threadId, checkpoint: await this.save(this.cp, "interrupted") };
    return yield* this.finish("interrupted");
  }

  /** All nodes of the step completed: merge their writes in node-name order, route, save. Null: the run goes on. */
  private async *advance(ok: Ok[], timing: StepTiming): AsyncGenerator<StreamEvent, RunResult | null> {
    const { def, config } = this.rc;
    const cp = this.cp;
    const writes = ok.flatMap((o) => o.writes);
    let state: State;
    const next: string[] = [];
    try {
      state = applyWrites(def.schema, cp.state, writes, true);
      for (const o of ok) for (const n of await nextFrom(def, o.node, state, o.goto)) if (!next.includes(n)) next.push(n);
    } catch (err) {
      await this.save(cp);
      await this.store.putWrites(cp.saved!.id, []);
      const d = isWaypointError(err) ? err.details : {};
      return yield* this.fail(err, typeof d.node === "string" ? d.node : ok.map((o) => o.node).join(","), timing.failedAttempts);
    }
    const ran = ok.map((o) => o.node);
    yield { type: "step", threadId: this.threadId, step: cp.step + 1, nodes: ran, writes };
    this.cp = {
      step: cp.step + 1,
      nodeName: ran.join(","),
      state,
      next,
      interrupts: staticInterrupts(config, ran, next),
      pendingWrites: [],
      metadata: { ...this.runMeta, source: "loop", writes, ...timingMeta(timing) },
      saved: null,
    };
    // The run ends here when loop() will finish: interrupted (static interrupts come first), or done.
    const ends = this.cp.interrupts.length ? "interrupted" : next.length === 0 ? "done" : undefined;
    if (this.due() || ends) yield { type: "checkpoint", threadId: this.threadId, checkpoint: await this.save(this.cp, ends) };
    return null;
  }

  /**
   * Saves `w` (once). `status`: the thread status to write with it in the same store call (SaveOptions) —
   * "running" for the run's first checkpoint; "done" / "interrupted" for its last, which also releases the run
   * lock unless a prune follows the save (maxCheckpoints), since nothing else is written after it.
   */
  private async save(w: Working, status?: ThreadStatus): Promise<Checkpoint> {
    if (w.saved) return w.saved;
    const { config } = this.rc;
    // Every save is fenced by the run's lock: a run that lost it (stalled past its lease while another process
    // took the thread over) writes nothing more.
    const options: SaveOptions = { lockOwner: this.lock.owner };
    if (status === "running") options.thread = { status, error: null, ...(config.graphId ? { graphId: config.graphId } : {}) };
    else if (status) {
      const owner = config.maxCheckpoints ? null : await this.lock.handOff();
      options.thread = { status, error: null };
      if (owner) options.releaseLock = owner;
    }
    const draft: NewCheckpoint = {
      id: newCheckpointId(),
      threadId: this.threadId,
      parentId: this.lastSaved?.id ?? null,
      step: w.step,
      nodeName: w.nodeName,
      state: w.state,
      next: w.next,
      interrupts: w.interrupts,
      pendingWrites: w.pendingWrites,
      metadata: w.metadata,
      timestamp: new Date().toISOString(),
    };
    try {
      w.saved = this.lastSaved = await this.store.save(draft, options);
    } catch (err) {
      // Fenced out: the thread is another process's now. Aborts the run (onLost) without a further write.
      if (isFencedOut(err)) this.lock.markLost();
      throw err;
    }
    w.savedStatus = status;
    if (options.releaseLock) this.lock.handedOff();
    this.lastSaveAt = Date.now();
    if (config.maxCheckpoints) await this.store.prune(this.threadId, config.maxCheckpoints);
    return w.saved;
  }

  /** Whether a step's checkpoint is saved now (always, unless autoSave is off and saveInterval has not passed). */
  private due(): boolean {
    const { config } = this.rc;
    return config.autoSave !== false || (config.saveInterval !== undefined && Date.now() - this.lastSaveAt >= config.saveInterval);
  }

  private async *finish(status: "done" | "interrupted"): AsyncGenerator<StreamEvent, RunResult> {
    const threadId = this.threadId;
    const checkpoint = await this.save(this.cp);
    if (this.cp.savedStatus !== status) await this.store.updateThread(threadId, { status, error: null });
    if (status === "interrupted") yield { type: "interrupt", threadId, interrupts: checkpoint.interrupts, checkpoint };
    // A finished run answers no interrupt, even if its last checkpoint recorded a static one that was passed.
    const interrupts = status === "done" ? [] : checkpoint.interrupts;
    const result: RunResult = { threadId, status, values: checkpoint.state, next: checkpoint.next, interrupts, checkpoint };
    yield { type: "done", threadId, status, result };
    return result;
  }

  /**
   * The run's signal fired. A cancel (the caller's signal) ends the run "cancelled" at the last completed step,
   * saved if autoSave had skipped it; the thread is "cancelled" and continues from there on the next run — or
   * "interrupted" when that checkpoint still waits for a decision (a cancelled resume did not consume it).
   * A lost lock writes nothing: another process owns the thread now.
   */
  private async *stopAborted(): AsyncGenerator<StreamEvent, RunResult> {
    if (!this.cancelled()) throw this.signal.reason ?? new WaypointError("RUN_ABORTED", "The run was stopped.");
    const threadId = this.threadId;
    const checkpoint = await this.save(this.cp);
    const waits = checkpoint.interrupts.some((i) => i.kind === "dynamic");
    await this.store.updateThread(threadId, { status: waits ? "interrupted" : "cancelled", error: null });
    const result: RunResult = {
      threadId,
      status: "cancelled",
      values: checkpoint.state,
      next: checkpoint.next,
      interrupts: checkpoint.interrupts,
      checkpoint,
    };
    yield { type: "done", threadId, status: "cancelled", result };
    return result;
  }

  private async *fail(err: unknown, node: string | null, attempts: FailedAttempt[] = []): AsyncGenerator<StreamEvent, RunResult> {
    const threadId = this.threadId;
    const checkpoint = await this.save(this.cp);
    const error: ThreadError = {
      node,
      message: errorMessage(err),
      checkpointId: checkpoint.id,
      at: new Date().toISOString(),
      ...(attempts.length ? { attempts } : {}),
    };
    await this.store.updateThread(threadId, { status: "error", error });
    yield { type: "error", threadId, error };
    const result: RunResult = {
      threadId,
      status: "error",
      values: checkpoint.state,
      next: checkpoint.next,
      interrupts: checkpoint.interrupts,
      checkpoint,
      error,
    };
    yield { type: "done", threadId, status: "error", result };
    return result;
  }
}

/** How a step went, for the metadata of the checkpoint it produces (or the thread's error when it failed). */
interface StepTiming {
  durationMs: number;
  failedAttempts: FailedAttempt[];
}

const timingMeta = (t: StepTiming): Pick<CheckpointMetadata, "durationMs" | "failedAttempts"> => ({
  durationMs: t.durationMs,
  ...(t.failedAttempts.length ? { failedAttempts: t.failedAttempts } : {}),
});

/** The promise's value, or null as soon as the signal fires (the promise is left to settle on its own). */
function untilAborted<T>(signal: AbortSignal, p: Promise<T>): Promise<T | null> {
  if (signal.aborted) return Promise.resolve(null);
  return new Promise<T | null>((resolve, reject) => {
    const onAbort = () => resolve(null);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * A run that stopped on a thrown error (a store call failed mid-run, a value could not be serialised…) must
 * not leave its thread "running": record the error on the thread, back at its latest checkpoint — "interrupted"
 * when that checkpoint still waits for a human (the reviewer can answer again), "error" otherwise (Retry,
 * edit, fork). Best effort: when the store itself is down this fails too, and the server's recovery continues
 * the run once the store answers.
 */
async function recordStop(store: RunContext["config"]["store"], threadId: string, err: unknown): Promise<void> {
  try {
    const head = await store.latest(threadId);
    const error: ThreadError = {
      node: null,
      message: `The run stopped: ${errorMessage(err)}`,
      checkpointId: head?.id ?? null,
      at: new Date().toISOString(),
    };
    await store.updateThread(threadId, { status: head?.interrupts.length ? "interrupted" : "error", error });
  } catch {
    // The store is unreachable: the thread stays "running" until recovery picks it up.
  }
}
