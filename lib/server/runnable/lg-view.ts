import { langGraphRecord, type LangGraphWrite } from "../../langgraph/records";
import type { Checkpoint, PendingInterrupt, ThreadStatus } from "../../checkpoint/types";

/**
 * A LangGraph.js checkpoint (written by `WaypointSaver`) as the dashboard and the API show it. The saver stores
 * LangGraph's checkpoint as it is, so three things the dashboard reads have to be derived here, from the
 * stored record alone (no graph needed, so it works for threads of graphs this server does not have):
 *
 * - `next`: a node runs next when its trigger channel `branch:to:<node>` (LangGraph ≥ 0.3) holds a value at a
 *   version the node has not seen; the input checkpoint's next is `__start__`. The same test as LangGraph's own
 *   `_prepareNextTasks` for edge-triggered nodes.
 * - `interrupts`: LangGraph records a dynamic `interrupt()` as a pending write `__interrupt__` of the task,
 *   after the checkpoint was saved; the task path (`~__pregel_pull, <node>`) names the node.
 * - `pendingWrites`: named by node (stored by task id), as { node, channel, value }.
 * - `state`: LangGraph's bookkeeping channels (`branch:to:*`, `join:*`, `__start__`, `__pregel_tasks`) are
 *   not the user's state and are left out, so the state view, the diffs and the edit form show only channels.
 *
 * - LangChain messages, stored as the serializer's `{lc, type: "constructor", id: [..., "AIMessage"], kwargs}`
 *   records, are shown in LangChain's message-dict form (`{type: "ai", content, id, tool_calls?}`), the form
 *   Waypoint's own chat graph keeps and LangGraph's messages reducer accepts back in a state edit.
 *
 * A static interrupt (`interruptBefore`) leaves no trace in the checkpoint; with `status` "interrupted" (the
 * runner sets it when a run stops there) and no dynamic interrupt, the next nodes are shown as paused before.
 */
export const INTERRUPT_CHANNEL = "__interrupt__";
const internal = (channel: string) => channel.startsWith("branch:to:") || channel.startsWith("join:") || channel.startsWith("__");

export function isLangGraphCheckpoint(cp: Pick<Checkpoint, "metadata">): boolean {
  return langGraphRecord(cp) !== null;
}

/** The node of a task path `~__pregel_pull, <node>` (or the path itself when it has another shape). */
export function nodeOfTaskPath(path: string | undefined, fallback: string): string {
  const m = /^~__pregel_pull, (.+)$/.exec(path ?? "");
  return m ? m[1] : path || fallback;
}

export function nextOf(cp: Checkpoint): string[] {
  const r = langGraphRecord(cp);
  if (!r) return cp.next;
  const out: string[] = [];
  for (const [channel, version] of Object.entries(r.channelVersions)) {
    const node = channel === "__start__" ? "__start__" : channel.startsWith("branch:to:") ? channel.slice("branch:to:".length) : null;
    if (!node || !(channel in cp.state)) continue;
    const seen = r.versionsSeen[node]?.[channel];
    if (seen === undefined || compareVersions(version, seen) > 0) out.push(node);
  }
  return out.sort();
}

/** The dynamic interrupts recorded on the checkpoint, in write order. */
export function dynamicInterrupts(cp: Checkpoint): PendingInterrupt[] {
  const out: PendingInterrupt[] = [];
  for (const w of cp.pendingWrites as LangGraphWrite[]) {
    if (w.channel !== INTERRUPT_CHANNEL || !Array.isArray(w.value)) continue;
    w.value.forEach((i: { id?: string; value?: unknown; response_schema?: unknown }, n: number) =>
      out.push({
        id: i?.id ?? `${w.node}:${n}`,
        node: nodeOfTaskPath(w.taskPath, w.node),
        kind: "dynamic",
        value: i?.value ?? null,
        // `interrupt(value, { responseSchema })`: the answer's JSON Schema, from which the dashboard draws the decision.
        ...(i?.response_schema ? { responseSchema: i.response_schema } : {}),
      }),
    );
  }
  return out;
}

/** Checkpoints already mapped (mapping twice would lose `next`, whose trigger channels the first pass drops). */
const viewed = new WeakSet<Checkpoint>();

export function langGraphView(cp: Checkpoint, status?: ThreadStatus): Checkpoint {
  if (viewed.has(cp) || !isLangGraphCheckpoint(cp)) return cp;
  const next = nextOf(cp);
  let interrupts = dynamicInterrupts(cp);
  if (!interrupts.length && status === "interrupted")
    interrupts = next.map((node) => ({ id: `before:${cp.id}:${node}`, node, kind: "before" as const, value: null }));
  const state = Object.fromEntries(Object.entries(cp.state).flatMap(([channel, v]) => (internal(channel) ? [] : [[channel, readable(v)]])));
  // Pending writes by node name (the stored `node` is LangGraph's task id), without the saver's bookkeeping.
  const pendingWrites = (cp.pendingWrites as LangGraphWrite[]).map((w) => ({
    node: nodeOfTaskPath(w.taskPath, w.node),
    channel: w.channel,
    value: w.value,
  }));
  const out = { ...cp, state, next, interrupts, pendingWrites };
  viewed.add(out);
  return out;
}

/** The status a LangGraph thread's head implies when no run is going on (no static interrupts known). */
export function statusOfView(view: Pick<Checkpoint, "next" | "interrupts">): ThreadStatus {
  return view.interrupts.length ? "interrupted" : view.next.length ? "idle" : "done";
}

/** LangGraph channel versions are numbers or "<n>.<hash>" strings; compared by their numeric prefix. */
function compareVersions(a: string | number, b: string | number): number {
  const num = (v: string | number) => (typeof v === "number" ? v : Number.parseFloat(String(v).split(".")[0]));
  return num(a) - num(b);
}

const MESSAGE_TYPES: Record<string, string> = {
  HumanMessage: "human",
  AIMessage: "ai",
  AIMessageChunk: "ai",
  SystemMessage: "system",
  ToolMessage: "tool",
  FunctionMessage: "function",
  ChatMessage: "chat",
  RemoveMessage: "remove",
};

/** A LangChain message record (or a list of them) in message-dict form; any other value as it is. */
function readable(value: unknown): unknown {
  if (Array.isArray(value)) return value.some(isMessageRecord) ? value.map((v) => (isMessageRecord(v) ? messageDict(v) : v)) : value;
  return isMessageRecord(value) ? messageDict(value) : value;
}

interface LcRecord {
  lc: number;
  type: "constructor";
  id: string[];
  kwargs: Record<string, unknown>;
}

function isMessageRecord(v: unknown): v is LcRecord {
  const r = v as Partial<LcRecord> | null;
  return (
    typeof r === "object" &&
    r !== null &&
    r.type === "constructor" &&
    Array.isArray(r.id) &&
    (r.id.at(-1) ?? "") in MESSAGE_TYPES &&
    typeof r.kwargs === "object"
  );
}

function messageDict(r: LcRecord): Record<string, unknown> {
  const { content, id, name, tool_calls, tool_call_id } = r.kwargs;
  return {
    type: MESSAGE_TYPES[r.id.at(-1)!],
    content,
    ...(id !== undefined ? { id } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(Array.isArray(tool_calls) && tool_calls.length ? { tool_calls } : {}),
    ...(tool_call_id !== undefined ? { tool_call_id } : {}),
  };
}
