import { WaypointError, checkpointNotFound, isWaypointError, staleCheckpoint } from "../errors";
import { assertSafeId, newCheckpointId } from "../checkpoint/ids";
import {
  INPUT_NODE,
  UPDATE_NODE,
  type Checkpoint,
  type CheckpointMetadata,
  type NewCheckpoint,
  type PendingInterrupt,
  type PendingWrite,
  type ThreadError,
} from "../checkpoint/types";
import { applyWrites, initialState, toWrites } from "./channels";
import { END, START, type GraphDef } from "./graph";
import { ThreadLock } from "./lock";
import { RESUME, errorMessage, outcomeToPending, pendingResumes, pendingToOutcomes, runTask, type TaskOutcome } from "./tasks";
import type { CompileConfig, InvokeOptions, RunResult, State, StreamEvent } from "./types";

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
}

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
 */
export async function* runGraph(rc: RunContext, input: State | null, opts: InvokeOptions): AsyncGenerator<StreamEvent, RunResult> {
  const { def, config } = rc;
  const store = config.store;
  const threadId = opts.threadId;
  assertSafeId(threadId, "thread");
  if (opts.checkpointId !== undefined) assertSafeId(opts.checkpointId, "checkpoint");
  if (input !== null && !isPlainObject(input)) throw new WaypointError("INVALID_UPDATE", "Run input must be an object of channel values (or null to continue).");
  const command = opts.command ?? {};
  const gotoList = command.goto === undefined ? null : Array.isArray(command.goto) ? command.goto : [command.goto];
  for (const n of gotoList ?? [])
    if (n !== END && !def.nodes.has(n)) throw new WaypointError("UNKNOWN_NODE", `command.goto names unknown node "${n}".`, { node: n });

  const lock = await ThreadLock.acquire(store, threadId, config.lockTtlMs ?? 30_000);
  const ac = new AbortController();
  const onOuterAbort = () => ac.abort(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
  lock.onLost = () => ac.abort(new WaypointError("THREAD_BUSY", `Lost the run lock on thread "${threadId}".`, { threadId }));
  try {
    // ---- where the run starts (validated before anything is written) ----
    let base: Checkpoint | null;
    if (opts.checkpointId !== undefined) {
      base = await store.load(opts.checkpointId);
      if (base.threadId !== threadId) throw checkpointNotFound(opts.checkpointId);
    } else base = await store.latest(threadId);
    if (opts.expectedCheckpointId !== undefined) {
      const head = opts.checkpointId === undefined ? base : await store.latest(threadId);
      if ((head?.id ?? null) !== opts.expectedCheckpointId) throw staleCheckpoint(threadId, opts.expectedCheckpointId, head?.id ?? null);
    }
    if (input === null && !base)
      throw new WaypointError("THREAD_NOT_FOUND", `Thread "${threadId}" has no checkpoint to continue from; start it with an input.`, { threadId });
    const startFrom = input === null ? base! : null;
    const firstResumes = startFrom ? resumeValuesFor(startFrom, command.resume, gotoList) : new Map<string, unknown>();
    const updateWrites = command.update !== undefined ? toWrites(def.schema, UPDATE_NODE, command.update) : [];
    const inputWrites = input !== null ? toWrites(def.schema, INPUT_NODE, input) : [];

    let lastSaved: Checkpoint | null = base;
    let lastSaveAt = Date.now();
    const runMeta = opts.metadata ?? {};
    const save = async (w: Working): Promise<Checkpoint> => {
      if (w.saved) return w.saved;
      const draft: NewCheckpoint = {
        id: newCheckpointId(),
        threadId,
        parentId: lastSaved?.id ?? null,
        step: w.step,
        nodeName: w.nodeName,
        state: w.state,
        next: w.next,
        interrupts: w.interrupts,
        pendingWrites: w.pendingWrites,
        metadata: w.metadata,
        timestamp: new Date().toISOString(),
      };
      w.saved = lastSaved = await store.save(draft);
      lastSaveAt = Date.now();
      if (config.maxCheckpoints) await store.prune(threadId, config.maxCheckpoints);
      return w.saved;
    };
    const due = () => config.autoSave !== false || (config.saveInterval !== undefined && Date.now() - lastSaveAt >= config.saveInterval);

    // ---- the checkpoint the first step runs from: computed (and validated) before anything is written ----
    let cp: Working;
    let passInterrupts = true;
    let saveFirst = true;
    if (input !== null) {
      const state = applyWrites(def.schema, base ? base.state : initialState(def.schema), inputWrites, false);
      const next = await nextFrom(def, START, state, null);
      cp = {
        step: base ? base.step + 1 : -1,
        nodeName: INPUT_NODE,
        state,
        next,
        interrupts: staticInterrupts(config, [], next),
        pendingWrites: [],
        metadata: { ...runMeta, source: "input", writes: inputWrites },
        saved: null,
      };
      passInterrupts = false;
    } else if (updateWrites.length || gotoList) {
      const state = applyWrites(def.schema, base!.state, updateWrites, false);
      const next = gotoList ? gotoList.filter((n) => n !== END) : base!.next;
      cp = {
        step: base!.step + 1,
        nodeName: UPDATE_NODE,
        state,
        next,
        interrupts: base!.interrupts.filter((i) => next.includes(i.node)),
        pendingWrites: base!.pendingWrites.filter((p) => next.includes(p.node)),
        metadata: { ...runMeta, source: "update", writes: updateWrites, ...(gotoList ? { goto: gotoList } : {}) },
        saved: null,
      };
    } else {
      cp = fromCheckpoint(base!);
      saveFirst = false;
    }

    await store.updateThread(threadId, { status: "running", error: null, ...(config.graphId ? { graphId: config.graphId } : {}) });
    yield { type: "start", threadId, from: base?.id ?? null };
    if (saveFirst) yield { type: "checkpoint", threadId, checkpoint: await save(cp) };

    // ---- super-steps ----
    const limit = opts.recursionLimit ?? config.recursionLimit ?? 10_000;
    for (let steps = 0; ; steps++) {
      if (cp.interrupts.length && !passInterrupts) return yield* finish("interrupted");
      if (cp.next.length === 0) return yield* finish("done");
      if (ac.signal.aborted) throw ac.signal.reason ?? new WaypointError("RUN_ABORTED", "The run was cancelled.");
      if (steps >= limit)
        return yield* fail(new WaypointError("RECURSION_LIMIT", `The run took more than ${limit} steps without finishing.`), null);

      const tasks = cp.next;
      const done = pendingToOutcomes(cp.pendingWrites);
      const resumes = pendingResumes(cp.pendingWrites);
      if (passInterrupts)
        for (const [node, value] of firstResumes) resumes.set(node, [...(resumes.get(node) ?? []), value]);
      passInterrupts = false;
      const onCustom = opts.onCustom;
      const emit = (data: unknown, node: string) => {
        try {
          onCustom?.(data, node);
        } catch {
          /* a listener's failure is not the node's */
        }
      };
      const ctx = { threadId, step: cp.step + 1, signal: ac.signal, configurable: opts.configurable ?? {}, emitFrom: emit };
      const outcomes = await Promise.all(
        tasks.map((n) => done.get(n) ?? runTask(def, n, cp.state, ctx, resumes.get(n) ?? [])),
      );
      const ok = outcomes.filter((o): o is Extract<TaskOutcome, { kind: "ok" }> => o.kind === "ok").sort((a, b) => (a.node < b.node ? -1 : 1));
      const keptResumes = outcomes.flatMap((o) => (o.kind !== "ok" && resumes.get(o.node)?.length ? [{ node: o.node, channel: RESUME, value: resumes.get(o.node) }] : []));
      const failed = outcomes.find((o) => o.kind === "error");
      if (failed && failed.kind === "error") {
        await save(cp);
        await store.putWrites(cp.saved!.id, [...ok.flatMap(outcomeToPending), ...keptResumes]);
        return yield* fail(failed.error, failed.node);
      }
      const interrupted = outcomes.filter((o): o is Extract<TaskOutcome, { kind: "interrupt" }> => o.kind === "interrupt");
      if (interrupted.length) {
        await save(cp);
        cp = {
          step: cp.step,
          nodeName: interrupted.map((o) => o.node).join(","),
          state: cp.state,
          next: tasks,
          interrupts: interrupted.map((o) => ({ id: newCheckpointId(), node: o.node, kind: "dynamic" as const, value: o.value })),
          pendingWrites: [...ok.flatMap(outcomeToPending), ...keptResumes],
          metadata: { ...runMeta, source: "loop", writes: [] },
          saved: null,
        };
        yield { type: "checkpoint", threadId, checkpoint: await save(cp) };
        return yield* finish("interrupted");
      }

      // All tasks completed: merge their writes in node-name order, route, save.
      const writes = ok.flatMap((o) => o.writes);
      let state: State;
      const next: string[] = [];
      try {
        state = applyWrites(def.schema, cp.state, writes, true);
        for (const o of ok) for (const n of await nextFrom(def, o.node, state, o.goto)) if (!next.includes(n)) next.push(n);
      } catch (err) {
        await save(cp);
        await store.putWrites(cp.saved!.id, []);
        const d = isWaypointError(err) ? err.details : {};
        return yield* fail(err, typeof d.node === "string" ? d.node : ok.map((o) => o.node).join(","));
      }
      const ran = ok.map((o) => o.node);
      yield { type: "step", threadId, step: cp.step + 1, nodes: ran, writes };
      cp = {
        step: cp.step + 1,
        nodeName: ran.join(","),
        state,
        next,
        interrupts: staticInterrupts(config, ran, next),
        pendingWrites: [],
        metadata: { ...runMeta, source: "loop", writes },
        saved: null,
      };
      if (due() || next.length === 0 || cp.interrupts.length) yield { type: "checkpoint", threadId, checkpoint: await save(cp) };
    }

    async function* finish(status: "done" | "interrupted"): AsyncGenerator<StreamEvent, RunResult> {
      const checkpoint = await save(cp);
      await store.updateThread(threadId, { status, error: null });
      if (status === "interrupted") yield { type: "interrupt", threadId, interrupts: checkpoint.interrupts, checkpoint };
      // A finished run answers no interrupt, even if its last checkpoint recorded a static one that was passed.
      const interrupts = status === "done" ? [] : checkpoint.interrupts;
      const result: RunResult = { threadId, status, values: checkpoint.state, next: checkpoint.next, interrupts, checkpoint };
      yield { type: "done", threadId, status, result };
      return result;
    }

    async function* fail(err: unknown, node: string | null): AsyncGenerator<StreamEvent, RunResult> {
      const checkpoint = await save(cp);
      const error: ThreadError = { node, message: errorMessage(err), checkpointId: checkpoint.id, at: new Date().toISOString() };
      await store.updateThread(threadId, { status: "error", error });
      yield { type: "error", threadId, error };
      const result: RunResult = { threadId, status: "error", values: checkpoint.state, next: checkpoint.next, interrupts: checkpoint.interrupts, checkpoint, error };
      yield { type: "done", threadId, status: "error", result };
      return result;
    }
  } catch (err) {
    // A cancelled run goes back to idle (it can be continued); a lost lock means another process owns the thread now.
    if (ac.signal.aborted && !lock.lost) await store.updateThread(threadId, { status: "idle" }).catch(() => {});
    throw err;
  } finally {
    opts.signal?.removeEventListener("abort", onOuterAbort);
    await lock.release();
  }
}

/** Resume values for the first step, by node; validates the command against the checkpoint's interrupts. */
function resumeValuesFor(cp: Checkpoint, resume: unknown, gotoList: string[] | null): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const next = gotoList ?? cp.next;
  const dynamic = cp.interrupts.filter((i) => i.kind === "dynamic" && next.includes(i.node));
  if (resume === undefined) {
    if (dynamic.length)
      throw new WaypointError(
        "INVALID_ARGUMENT",
        `Node "${dynamic[0].node}" is waiting for a human: continue with command.resume (or command.goto elsewhere).`,
        { interrupts: dynamic.map((i) => i.id) },
      );
    return out;
  }
  if (cp.interrupts.length === 0) throw new WaypointError("NO_PENDING_INTERRUPT", `Checkpoint "${cp.id}" has no pending interrupt to resume.`);
  if (dynamic.length <= 1) {
    if (dynamic.length) out.set(dynamic[0].node, resume);
    return out;
  }
  const byId = isPlainObject(resume) && Object.keys(resume).length > 0 && Object.keys(resume).every((k) => dynamic.some((i) => i.id === k));
  for (const i of dynamic) if (!byId || i.id in (resume as object)) out.set(i.node, byId ? (resume as Record<string, unknown>)[i.id] : resume);
  return out;
}

/** Static interrupts of a checkpoint: after the nodes that just ran, before the nodes that run next. */
export function staticInterrupts(config: CompileConfig, ran: string[], next: string[]): PendingInterrupt[] {
  const out: PendingInterrupt[] = [];
  for (const n of ran) if (config.interruptAfter?.includes(n)) out.push({ id: newCheckpointId(), node: n, kind: "after", value: null });
  for (const n of next) if (config.interruptBefore?.includes(n)) out.push({ id: newCheckpointId(), node: n, kind: "before", value: null });
  return out;
}

/** Nodes that follow `source`: a Command's goto, else static edges then conditional routers. END is dropped. */
export async function nextFrom(def: GraphDef, source: string, state: State, goto: string[] | null): Promise<string[]> {
  const targets: string[] = [];
  const add = (n: string) => {
    if (n === END) return;
    if (!def.nodes.has(n)) throw new WaypointError("UNKNOWN_NODE", `"${source}" routed to unknown node "${n}".`, { node: source, target: n });
    if (!targets.includes(n)) targets.push(n);
  };
  if (goto) {
    goto.forEach(add);
    return targets;
  }
  for (const t of def.edges.get(source) ?? []) add(t);
  for (const b of def.branches.get(source) ?? []) {
    const picked = await b.router({ ...state });
    for (const key of Array.isArray(picked) ? picked : [picked]) {
      if (b.pathMap && !Object.prototype.hasOwnProperty.call(b.pathMap, key))
        throw new WaypointError("UNKNOWN_NODE", `The router after "${source}" returned "${String(key)}", which is not in its path map.`, { node: source, target: key });
      add(b.pathMap ? b.pathMap[key] : key);
    }
  }
  return targets;
}
