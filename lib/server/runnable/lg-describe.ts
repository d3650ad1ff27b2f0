import type { GraphStructure } from "../../engine/types";
import type { LangGraphApp } from "./lg-app";

/**
 * A LangGraph.js graph's shape for the dashboard, from LangGraph's own `getGraph()` (nodes, edges with their
 * `conditional` flag, the `__interrupt` marks of static interrupts) and its channels (the user's state keys:
 * LangGraph's bookkeeping channels are left out, as in lg-view.ts).
 */
export function describeLangGraph(app: LangGraphApp, graphId: string): GraphStructure {
  const drawn = app.getGraph().toJSON();
  const isNode = (id: string) => id !== "__start__" && id !== "__end__";
  const edges = drawn.edges.map((e) => ({
    source: e.source,
    target: e.target,
    conditional: e.conditional === true,
    ...(typeof e.data === "string" && e.data ? { label: e.data } : {}),
  }));
  const list = (v: string[] | "*" | undefined) => (v === "*" ? Object.keys(app.nodes).filter(isNode) : [...(v ?? [])]);
  const channels = Object.entries(app.channels)
    .filter(([name]) => !name.startsWith("branch:to:") && !name.startsWith("join:") && !name.startsWith("__"))
    .map(([name, channel]) => ({ name, reducer: reducerOf(name, channel) }));
  return {
    graphId,
    nodes: drawn.nodes.filter((n) => isNode(n.id)).map((n) => ({ id: n.id })),
    edges,
    channels,
    interruptBefore: list(app.interruptBefore),
    interruptAfter: list(app.interruptAfter),
  };
}

/** LastValue channels overwrite; a BinaryOperatorAggregate (a reducer) is "append" for messages, else "custom". */
function reducerOf(name: string, channel: unknown): "last-value" | "append" | "custom" {
  const kind = (channel as { lc_graph_name?: string; constructor?: { name?: string } })?.lc_graph_name ?? "";
  if (kind === "LastValue" || kind === "LastValueAfterFinish") return "last-value";
  return name === "messages" ? "append" : "custom";
}
