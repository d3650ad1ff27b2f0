/**
 * Public types of the engine. Nothing here imports Next.js or React: the engine is a plain library.
 */
import type { Checkpoint, CheckpointStore, PendingInterrupt, ThreadError, ThreadStatus } from "../checkpoint/types";
import type { JsonSchema, ValueSchema } from "./schema";

export type { JsonSchema, ValueSchema, ValueIssue } from "./schema";

export type State = Record<string, unknown>;

/** Combines a channel's current value with one write. Must not mutate `current`. */
export type Reducer<T = unknown, U = unknown> = (current: T, update: U) => T;

/**
 * One channel of the state. Without a reducer the channel is last-value-wins, and two writes to it in one
 * step are an error. `default` gives the value before the first write. `validate` (e.g. a zod schema's
 * `parse`) checks the channel's value after every reduction and throws to reject it.
 */
export interface ChannelSpec<T = unknown> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a reducer's update type is the node's, not the channel's
  reducer?: Reducer<T, any>;
  default?: () => T;
  validate?: (value: unknown) => unknown;
  /**
   * The channel's value schema (a zod schema): checked after every reduction like `validate`, and described to
   * the dashboard as JSON Schema, from which its state-edit form is drawn.
   */
  schema?: ValueSchema;
  /** Bookkeeping a person should not edit (an append-only log, a routing flag): left out of the edit form. */
  internal?: boolean;
  /** Shown in the dashboard. */
  description?: string;
}

// `any` so channels of different value types fit one schema (reducer parameters are contravariant).
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type StateSchema = Record<string, ChannelSpec<any>>;

/** What a node may return: a partial state update, a Command (update + where to go), or nothing. */
export type NodeResult = Partial<State> | Command | void | undefined | null;

export interface NodeContext {
  threadId: string;
  /** Name of the node being run. */
  node: string;
  step: number;
  /** Attempt number under a retry policy, from 1. */
  attempt: number;
  signal: AbortSignal;
  /** Free-form config given to invoke (e.g. demo knobs). */
  configurable: Record<string, unknown>;
  /** Sends a custom event to whoever streams the run (`InvokeOptions.onCustom`; LangGraph's `custom` mode). Not saved. */
  emit: (data: unknown) => void;
}

export type NodeFn = (state: State, ctx: NodeContext) => NodeResult | Promise<NodeResult>;

export interface RetryPolicy {
  /** Total attempts including the first (default 3). */
  maxAttempts?: number;
  /** Milliseconds before the first retry (default 100), multiplied by `backoffFactor` (default 2) each time. */
  initialDelayMs?: number;
  backoffFactor?: number;
  maxDelayMs?: number;
  /** Retry only errors for which this returns true (default: all but Waypoint's own). */
  retryOn?: (err: unknown) => boolean;
}

export interface NodeOptions {
  retry?: RetryPolicy;
  /** Nodes this node may `goto` with a Command (for validation and drawing, as LangGraph's `ends`). */
  ends?: string[];
  description?: string;
  /**
   * The shape of the value a person answers this node's `interrupt()` with (a zod schema). A resume value it
   * refuses is an INVALID_RESUME error before anything is written; the node receives the schema's output.
   * The graph's description carries it as JSON Schema, from which the dashboard draws the decision panel.
   */
  resume?: ValueSchema;
}

/** A router for conditional edges: returns node name(s), or keys of the path map. */
export type Router = (state: State) => string | string[] | Promise<string | string[]>;

export class Command {
  /** Brand checked instead of `instanceof`, which fails across bundled copies of this module. */
  readonly kind = "waypoint.command" as const;
  readonly update?: Partial<State>;
  readonly goto?: string | string[];
  readonly resume?: unknown;
  constructor(init: { update?: Partial<State>; goto?: string | string[]; resume?: unknown }) {
    this.update = init.update;
    this.goto = init.goto;
    this.resume = init.resume;
  }
}

export interface CompileConfig {
  /** The seed's CheckpointConfig. */
  store: CheckpointStore;
  /** Save after every step (default true). */
  autoSave?: boolean;
  /** With autoSave off: save at most once per this many ms (always at an interrupt, the end and on error). */
  saveInterval?: number;
  /** Keep the newest N checkpoints per thread (branch tips are never deleted). */
  maxCheckpoints?: number;
  interruptBefore?: string[];
  interruptAfter?: string[];
  /** Recorded on threads this graph runs, for listing and the dashboard. */
  graphId?: string;
  /** Max super-steps per invoke (default 10,000). */
  recursionLimit?: number;
  /** Run-lock lease; renewed while a run goes on (default 30 s). */
  lockTtlMs?: number;
}

export interface ResumeCommand {
  /** Value returned by the pending `interrupt()`; with several pending interrupts, a map by interrupt id. */
  resume?: unknown;
  /** State update applied through the reducers before the step runs. */
  update?: Partial<State>;
  /** Run these nodes next instead of the checkpoint's `next`. */
  goto?: string | string[];
}

export interface InvokeOptions {
  threadId: string;
  /** Continue from this checkpoint (a fork/replay) instead of the thread's latest. */
  checkpointId?: string;
  command?: ResumeCommand;
  /**
   * Cancels the run: nodes see it as `ctx.signal`; the step in flight is discarded (the run does not wait for a
   * node that ignores it) and the run resolves with status "cancelled" at its last completed checkpoint.
   */
  signal?: AbortSignal;
  configurable?: Record<string, unknown>;
  /** Extra metadata recorded on every checkpoint of this run. */
  metadata?: Record<string, unknown>;
  /** Receives what nodes `emit` (progress, partial results); errors it throws are ignored. */
  onCustom?: (data: unknown, node: string) => void;
  recursionLimit?: number;
  /**
   * Stale-decision guard: the head checkpoint the caller decided on. Checked under the run lock; when the
   * thread's latest checkpoint is another one, the run is refused (STALE_CHECKPOINT) before anything is written.
   */
  expectedCheckpointId?: string;
}

export interface StateSnapshot {
  values: State;
  next: string[];
  interrupts: PendingInterrupt[];
  checkpoint: Checkpoint;
}

/** "cancelled": the caller's signal stopped the run; the thread stays at its last completed step. */
export type RunStatus = "done" | "interrupted" | "error" | "cancelled";

export interface RunResult {
  threadId: string;
  status: RunStatus;
  values: State;
  next: string[];
  interrupts: PendingInterrupt[];
  /** The last checkpoint saved by the run. */
  checkpoint: Checkpoint;
  error?: ThreadError;
}

export type StreamEvent =
  /** The call was accepted (validated, lock taken, thread marked running); `from` is the checkpoint it continues. */
  | { type: "start"; threadId: string; from: string | null }
  | { type: "step"; threadId: string; step: number; nodes: string[]; writes: { node: string; channel: string; value: unknown }[] }
  | { type: "checkpoint"; threadId: string; checkpoint: Checkpoint }
  | { type: "interrupt"; threadId: string; interrupts: PendingInterrupt[]; checkpoint: Checkpoint }
  | { type: "error"; threadId: string; error: ThreadError }
  | { type: "done"; threadId: string; status: RunStatus; result: RunResult };

export interface UpdateStateOptions {
  /** Apply the values as if this node wrote them, and compute `next` from its edges. */
  asNode?: string;
  /** The checkpoint to edit (default: the thread's latest). Editing an old one starts a branch. */
  checkpointId?: string;
  actor?: string;
  reason?: string;
  /** Extra metadata on the edit's checkpoint (e.g. who made it, by id). */
  metadata?: Record<string, unknown>;
  /** Stale-decision guard, as in InvokeOptions: refused when the thread's latest checkpoint is another one. */
  expectedCheckpointId?: string;
  /**
   * Send the edit back for review: the edited checkpoint drops its dynamic interrupts (their payloads were
   * computed from the old state) but keeps `next`, so the next run re-runs those nodes, which ask again.
   */
  reask?: boolean;
}

export interface ForkOptions {
  /** Values applied to the forked state (through the reducers, as `asNode` if given). */
  values?: Partial<State>;
  asNode?: string;
  /** Copy into this new thread (its history starts at the fork) instead of branching in place. */
  newThreadId?: string;
  actor?: string;
  reason?: string;
  /** Extra metadata on the fork's checkpoint. */
  metadata?: Record<string, unknown>;
}

export interface GraphStructure {
  graphId: string | null;
  /** `resume`: the JSON Schema of the value that answers the node's interrupt, when declared. */
  nodes: { id: string; description?: string; resume?: JsonSchema }[];
  edges: { source: string; target: string; conditional: boolean; label?: string }[];
  /** `schema`: the channel's JSON Schema, when declared; `internal`: not for people to edit. */
  channels: { name: string; reducer: "last-value" | "append" | "custom"; description?: string; schema?: JsonSchema; internal?: boolean }[];
  interruptBefore: string[];
  interruptAfter: string[];
}

export type { ThreadStatus };
