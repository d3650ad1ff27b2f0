import { AsyncLocalStorage } from "node:async_hooks";
import { WaypointError } from "../errors";

/**
 * Dynamic interrupts. A node calls `interrupt(value)`: the first time, the run stops and `value` is saved as a
 * pending interrupt; when the thread is resumed with `command.resume`, the node runs again from its start and
 * that same `interrupt()` call returns the resume value. Several `interrupt()` calls in one node are matched to
 * resume values by their order, so a node must call them in a deterministic order.
 */
export interface TaskScope {
  node: string;
  /** Resume values already given to this node's interrupts, in call order. */
  resumeValues: unknown[];
  /** Index of the next interrupt() call. */
  counter: number;
  /** Set when the node raised an interrupt, so swallowing the signal in a try/catch cannot hide it. */
  raised: GraphInterrupt | null;
}

export const taskScope = new AsyncLocalStorage<TaskScope>();

/** Thrown inside a node to stop the run; not an error. */
export class GraphInterrupt extends Error {
  readonly value: unknown;
  readonly index: number;
  readonly node: string;
  constructor(node: string, value: unknown, index: number) {
    super(`Interrupted in node "${node}"`);
    this.name = "GraphInterrupt";
    this.node = node;
    this.value = value;
    this.index = index;
  }
}

export function isGraphInterrupt(err: unknown): err is GraphInterrupt {
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "GraphInterrupt";
}

export function interrupt<R = unknown>(value: unknown): R {
  const scope = taskScope.getStore();
  if (!scope) throw new WaypointError("INVALID_ARGUMENT", "interrupt() can only be called while a graph node runs.");
  const index = scope.counter++;
  if (index < scope.resumeValues.length) return scope.resumeValues[index] as R;
  const signal = new GraphInterrupt(scope.node, value, index);
  scope.raised = signal;
  throw signal;
}
