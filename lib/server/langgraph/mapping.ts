import "server-only";
import { v5 as uuidv5 } from "uuid";
import { INPUT_NODE, type Checkpoint, type ThreadInfo, type ThreadStatus } from "../../checkpoint/types";
import type { GraphDefinition } from "../../config/graph";
import type { GraphStructure } from "../../engine/types";
import { RUNS_KEY } from "./records";

/**
 * The one place Waypoint's shapes become the LangGraph server protocol's (snake_case, as the SDK's
 * `schema.d.ts` types them). Nothing here reads the store: callers pass what they loaded.
 */

/** The reference server's namespace for assistant ids: `uuid5(NAMESPACE_GRAPH, graph_id)` (it is uuid's NAMESPACE_URL). */
const NAMESPACE_GRAPH = "6ba7b821-9dad-11d1-80b4-00c04fd430c8";
/** Our own namespace for task ids (stable per checkpoint and node, so a client can match tasks across reads). */
const NAMESPACE_TASK = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";

export const assistantIdOf = (graphId: string) => uuidv5(graphId, NAMESPACE_GRAPH);

/** The epoch the built-in assistants were "created": stable, so clients' caches agree across restarts. */
const ASSISTANT_CREATED = "2025-01-01T00:00:00.000Z";

export function lgAssistant(def: GraphDefinition) {
  return {
    assistant_id: assistantIdOf(def.id),
    graph_id: def.id,
    name: def.id,
    description: def.description,
    config: {},
    context: {},
    metadata: { created_by: "system", title: def.title },
    version: 1,
    created_at: ASSISTANT_CREATED,
    updated_at: ASSISTANT_CREATED,
  };
}

/** `{ nodes, edges }` as the reference's drawable graph, with `__start__` / `__end__` as nodes. */
export function lgGraph(s: GraphStructure) {
  const nodes = [
    { id: "__start__", name: "__start__", data: "__start__", metadata: {} },
    ...s.nodes.map((n) => ({ id: n.id, name: n.id, data: n.id, metadata: n.description ? { description: n.description } : {} })),
    { id: "__end__", name: "__end__", data: "__end__", metadata: {} },
  ];
  const edges = s.edges.map((e) => ({ source: e.source, target: e.target, conditional: e.conditional, ...(e.label ? { data: e.label } : {}) }));
  return { nodes, edges };
}

export type LgThreadStatus = "idle" | "busy" | "interrupted" | "error";

export function lgStatus(s: ThreadStatus): LgThreadStatus {
  return s === "running" ? "busy" : s === "interrupted" ? "interrupted" : s === "error" ? "error" : "idle";
}

/** Waypoint statuses that a protocol status filter means. */
export function waypointStatuses(s: LgThreadStatus): ThreadStatus[] {
  return s === "busy" ? ["running"] : s === "idle" ? ["idle", "done", "cancelled"] : [s];
}

/**
 * A thread's metadata as the protocol shows it: the stored metadata without the run records (records.ts keeps
 * them there), plus `graph_id` / `assistant_id` as the reference server adds them on the first run — clients
 * such as agent-chat-ui search threads by them.
 */
export function lgThreadMetadata(t: ThreadInfo): Record<string, unknown> {
  const { [RUNS_KEY]: _runs, ...rest } = t.metadata;
  return t.graphId ? { ...rest, graph_id: t.graphId, assistant_id: assistantIdOf(t.graphId) } : rest;
}

export const lgCheckpointRef = (threadId: string, checkpointId: string | null) => ({
  thread_id: threadId,
  checkpoint_ns: "",
  checkpoint_id: checkpointId,
  checkpoint_map: null,
});

export const taskIdOf = (checkpointId: string, node: string) => uuidv5(`${checkpointId}:${node}`, NAMESPACE_TASK);

/** Dynamic interrupts as the protocol's `{ value, id }` (static ones show only as `next`, as in LangGraph). */
export function lgInterrupts(cp: Checkpoint, node?: string) {
  return cp.interrupts.filter((i) => i.kind === "dynamic" && (node === undefined || i.node === node)).map((i) => ({ value: i.value, id: i.id }));
}

/** The step's writes as `{ node: { channel: value } }`; the input checkpoint's are `__start__`'s. */
export function lgWrites(cp: Checkpoint): Record<string, Record<string, unknown>> | null {
  const writes = cp.metadata.writes ?? [];
  if (!writes.length) return null;
  const out: Record<string, Record<string, unknown>> = {};
  for (const w of writes) {
    const node = w.node === INPUT_NODE ? "__start__" : w.node;
    const slot = (out[node] ??= {});
    // Several writes of one node to one channel (an append reducer) are kept as a list.
    slot[w.channel] =
      w.channel in slot ? [...(Array.isArray(slot[w.channel]) ? (slot[w.channel] as unknown[]) : [slot[w.channel]]), w.value] : w.value;
  }
  return out;
}

export function lgCheckpointMetadata(cp: Checkpoint, t: ThreadInfo | null) {
  const { writes: _w, runId, ...rest } = cp.metadata;
  return {
    ...rest,
    source: cp.metadata.source,
    step: cp.step,
    writes: lgWrites(cp),
    parents: {},
    thread_id: cp.threadId,
    ...(typeof runId === "string" ? { run_id: runId } : {}),
    ...(t?.graphId ? { graph_id: t.graphId, assistant_id: assistantIdOf(t.graphId) } : {}),
  };
}

/** One `ThreadState`: values, next, checkpoint, parent, metadata, tasks (with interrupts and errors), interrupts. */
export function lgState(cp: Checkpoint, t: ThreadInfo | null) {
  const error = t?.status === "error" && t.error && t.error.checkpointId === cp.id ? t.error : null;
  const tasks = cp.next.map((node) => ({
    id: taskIdOf(cp.id, node),
    name: node,
    path: ["__pregel_pull", node],
    error: error && (error.node === null || error.node.split(",").includes(node)) ? error.message : null,
    interrupts: lgInterrupts(cp, node),
    checkpoint: null,
    state: null,
  }));
  return {
    values: cp.state,
    next: cp.next,
    tasks,
    checkpoint: lgCheckpointRef(cp.threadId, cp.id),
    parent_checkpoint: cp.parentId ? lgCheckpointRef(cp.threadId, cp.parentId) : null,
    metadata: lgCheckpointMetadata(cp, t),
    created_at: cp.timestamp,
    interrupts: lgInterrupts(cp),
  };
}

/** The state of a thread that has no checkpoint yet. */
export const lgEmptyState = (threadId: string) => ({
  values: {},
  next: [],
  tasks: [],
  checkpoint: lgCheckpointRef(threadId, null),
  parent_checkpoint: null,
  metadata: {},
  created_at: null,
  interrupts: [],
});

/** A `Thread`: `values` and `interrupts` from its head checkpoint (null before the first run). */
export function lgThread(t: ThreadInfo, head: Checkpoint | null) {
  const interrupts: Record<string, { value: unknown; id: string }[]> = {};
  if (head && t.status === "interrupted")
    for (const node of head.next) {
      const list = lgInterrupts(head, node);
      if (list.length) interrupts[taskIdOf(head.id, node)] = list;
    }
  return {
    thread_id: t.threadId,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    state_updated_at: t.updatedAt,
    metadata: lgThreadMetadata(t),
    status: lgStatus(t.status),
    values: head?.state ?? null,
    interrupts,
    config: {},
    error: t.error ? { error: "NodeFailed", message: t.error.message, node: t.error.node } : null,
  };
}

/** Metadata containment, as the reference's `metadata @> filter`: every key of `filter` deep-equals in `meta`. */
export function contains(meta: unknown, filter: unknown): boolean {
  if (filter === null || typeof filter !== "object") return JSON.stringify(meta) === JSON.stringify(filter);
  if (Array.isArray(filter)) return Array.isArray(meta) && filter.every((f) => meta.some((m) => contains(m, f)));
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) return false;
  return Object.entries(filter).every(([k, v]) => k in (meta as object) && contains((meta as Record<string, unknown>)[k], v));
}
