import "server-only";
import type { Checkpoint, ThreadInfo } from "../../checkpoint/types";
import type { ThreadEvent } from "../events";
import type { Runtime } from "../runtime";
import { MESSAGE_CHUNK } from "../../graphs/messages";
import { lgInterrupts, lgState, lgWrites, taskIdOf } from "./mapping";
import { errFields, log } from "../log";

/**
 * A protocol run's event stream: the run's events in the stream modes' shapes, numbered, kept in memory for
 * subscribers that join later (`GET …/runs/:id/stream`, with `Last-Event-ID` replay for resumable runs) and for
 * the thread's own stream (`GET /threads/:id/stream`).
 *
 * Fed from the run manager's in-process event bus (no engine change): each `checkpoint` event is read back in
 * full from the store and turned into `values`, `updates`, `checkpoints`, `tasks`, `debug` and `messages`
 * events; `interrupt`, `custom` and `error` map directly. Runs on another server are not seen
 * here; their joins fall back to polling the run record (runs.ts).
 */
export interface LgEvent {
  id: number;
  event: string;
  data: unknown;
}

type Listener = (e: LgEvent | null) => void;
/** Events kept per run for late joiners and replay (the oldest go first; a long run's early steps can't be replayed). */
const MAX_EVENTS = 5_000;
/** A thread stream's listener also gets the stream modes the run was started with (its `run_modes`). */
type ThreadListener = (e: LgEvent, runModes: string[]) => void;
const KEEP_AFTER_END_MS = 5 * 60_000;

export class RunChannel {
  readonly events: LgEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private seq = 0;
  /** Messages already streamed chunk by chunk: not sent again whole when the step that wrote them ends. */
  readonly streamedIds = new Set<string>();
  done = false;

  constructor(
    readonly runId: string,
    readonly threadId: string,
    readonly modes: string[],
  ) {}

  push(event: string, data: unknown) {
    if (this.done) return;
    const e = { id: ++this.seq, event, data };
    this.events.push(e);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    for (const l of this.listeners) l(e);
    for (const l of threadListeners(this.threadId)) l(e, this.modes);
  }

  close() {
    if (this.done) return;
    this.done = true;
    for (const l of this.listeners) l(null);
    this.listeners.clear();
    setTimeout(() => channels().delete(this.runId), KEEP_AFTER_END_MS).unref?.();
  }

  /** Replays events after `after` (a Last-Event-ID; null = none), then live ones; `fn(null)` once the run ended. */
  subscribe(after: number | null, fn: Listener): () => void {
    if (after !== null) for (const e of this.events) if (e.id > after) fn(e);
    if (this.done) {
      fn(null);
      return () => {};
    }
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

// Process-wide registries, on globalThis like the runtime (Next may load this module more than once).
const G = globalThis as unknown as { __wpLgChannels?: Map<string, RunChannel>; __wpLgThreadListeners?: Map<string, Set<ThreadListener>> };
export const channels = () => (G.__wpLgChannels ??= new Map());
const threadMap = () => (G.__wpLgThreadListeners ??= new Map());
const threadListeners = (threadId: string) => threadMap().get(threadId) ?? new Set<ThreadListener>();

/** Every event of every protocol run on the thread from now on (`GET /threads/:id/stream`). */
export function subscribeThread(threadId: string, fn: ThreadListener): () => void {
  const set = threadMap().get(threadId) ?? new Set<ThreadListener>();
  set.add(fn);
  threadMap().set(threadId, set);
  return () => {
    set.delete(fn);
    if (!set.size) threadMap().delete(threadId);
  };
}

/**
 * Starts feeding a channel from the bus. Call before the run starts (its first checkpoint can come before the
 * start call returns); `begin(runId)` then emits `metadata` first and lets the queued events through.
 */
export function feedChannel(rt: Runtime, threadId: string, gate?: Promise<void>) {
  let channel: RunChannel | null = null;
  let release!: (c: RunChannel) => void;
  let chain: Promise<unknown> = new Promise<RunChannel>((r) => (release = r));
  let thread: ThreadInfo | null = null;
  // After our run's run_ended, later events on the thread belong to another run: they are not ours to send.
  let over = false;
  let markEnded!: () => void;
  const ended = new Promise<void>((r) => (markEnded = r));
  const step = (fn: (c: RunChannel) => Promise<void> | void) => {
    chain = chain.then(() => (over ? undefined : fn(channel!))).catch((err) => log().error(errFields(err), "langgraph stream failed"));
  };
  // A queued run (multitask_strategy enqueue) listens only from its start (`gate`): earlier events are another run's.
  let unsubscribe = () => {};
  const listen = (e: ThreadEvent) => {
    if (e.type === "run_ended") {
      step((c) => {
        if (e.runId !== c.runId) return;
        over = true;
        unsubscribe();
        markEnded();
      });
    } else if (e.type === "checkpoint") {
      const id = (e.checkpoint as { checkpointId: string }).checkpointId;
      step(async (c) => {
        thread ??= await rt.store.getThread(threadId).catch(() => null);
        emitCheckpoint(c, await rt.store.load(id), thread);
      });
    } else if (e.type === "interrupt") {
      step((c) => {
        const list = (e.interrupts as { id: string; kind: string; value: unknown }[])
          .filter((i) => i.kind === "dynamic")
          .map((i) => ({ value: i.value, id: i.id }));
        // A static interrupt is an empty list in `updates`, as LangGraph sends it; `values` only carries dynamic ones.
        c.push("updates", { __interrupt__: list });
        if (list.length) c.push("values", { __interrupt__: list });
      });
    } else if (e.type === "custom") {
      step((c) => {
        const chunk = (e.data as Record<string, unknown> | null)?.[MESSAGE_CHUNK] as { id?: string } | undefined;
        if (!chunk) return c.push("custom", e.data);
        if (chunk.id) c.streamedIds.add(chunk.id);
        c.push("messages", [chunk, { langgraph_node: e.node, langgraph_checkpoint_ns: "", thread_id: threadId, run_id: c.runId }]);
      });
    } else if (e.type === "error") {
      step((c) => c.push("error", { error: "NodeFailed", message: (e.error as { message?: string }).message ?? "The run failed." }));
    }
    // run_ended closes nothing by itself: runs.ts ends the channel once the run record has its final status, so a
    // client that checks the run after the stream closed never sees it still "running".
  };
  let abandoned = false;
  const subscribe = () => {
    if (!abandoned) unsubscribe = rt.bus.subscribe(threadId, listen);
  };
  if (gate) void gate.then(subscribe);
  else subscribe();
  const finish = () => {
    unsubscribe();
    channel?.close();
  };
  return {
    begin(runId: string, modes: string[]): RunChannel {
      channel = new RunChannel(runId, threadId, modes);
      channels().set(runId, channel);
      channel.push("metadata", { run_id: runId, attempt: 1 });
      release(channel);
      return channel;
    },
    /** The run did not start: stop listening. */
    abandon() {
      abandoned = true;
      unsubscribe();
    },
    /** Resolves once the run's last event went into the channel (its `run_ended` on the bus). */
    ended,
    /** Closes the channel after every queued event. */
    end(): Promise<void> {
      chain = chain.then(() => finish());
      return chain.then(() => undefined);
    },
  };
}

function emitCheckpoint(c: RunChannel, cp: Checkpoint, t: ThreadInfo | null) {
  const state = lgState(cp, t);
  const writes = cp.metadata.source === "loop" ? lgWrites(cp) : null;
  const config = { configurable: { thread_id: cp.threadId, checkpoint_ns: "", checkpoint_id: cp.id } };
  const parent = cp.parentId ? { configurable: { thread_id: cp.threadId, checkpoint_ns: "", checkpoint_id: cp.parentId } } : null;
  const checkpointEvent = { config, parent_config: parent, values: cp.state, metadata: state.metadata, next: cp.next, tasks: state.tasks };
  // A step's node results come before the state they produced, as in LangGraph.
  if (writes)
    for (const [node, w] of Object.entries(writes)) {
      c.push("tasks", { id: taskIdOf(cp.parentId ?? cp.id, node), name: node, error: null, result: Object.entries(w), interrupts: [] });
      c.push("updates", { [node]: w });
      const msgs = w.messages;
      const stored = Array.isArray(cp.state.messages) ? (cp.state.messages as { id?: string }[]) : [];
      for (const m of Array.isArray(msgs) ? msgs : msgs ? [msgs] : [])
        if (!c.streamedIds.has((m as { id?: string })?.id ?? ""))
          c.push("messages", [
            stored.find((s) => s.id !== undefined && s.id === (m as { id?: string })?.id) ?? m,
            { langgraph_node: node, langgraph_step: cp.step, langgraph_checkpoint_ns: "", thread_id: cp.threadId, run_id: c.runId },
          ]);
    }
  c.push("values", cp.state);
  c.push("checkpoints", checkpointEvent);
  c.push("debug", { type: "checkpoint", timestamp: cp.timestamp, step: cp.step, payload: checkpointEvent });
  for (const node of cp.next)
    c.push("tasks", { id: taskIdOf(cp.id, node), name: node, input: cp.state, triggers: [`branch:to:${node}`], interrupts: lgInterrupts(cp, node) });
}

/**
 * Which events a subscriber with these stream modes receives (`messages-tuple` is sent as `messages`). A thread
 * stream's modes are `run_modes` (what each run was started with, the default), `state_update` (its `values`)
 * and `lifecycle` (only `metadata`, `error` and `end`); run-level modes are accepted there too.
 */
export function threadWants(modes: string[], runModes: string[], event: string): boolean {
  const effective = modes.flatMap((m) => (m === "run_modes" ? runModes : m === "state_update" ? ["values"] : m === "lifecycle" ? [] : [m]));
  return wants(effective, event);
}

export function wants(modes: string[], event: string): boolean {
  if (event === "metadata" || event === "error" || event === "end") return true;
  if (event === "messages") return modes.includes("messages-tuple") || modes.includes("messages");
  return modes.includes(event);
}
