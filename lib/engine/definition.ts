/**
 * The graph definition: what StateGraph builds and validates, and CompiledGraph runs (plain data), and its
 * drawable shape.
 */
import { END } from "./constants";
import { appendReducer } from "./reducers";
import { jsonSchemaOf } from "./schema";
import type { CompileConfig, GraphStructure, NodeFn, NodeOptions, Router, StateSchema } from "./types";

export interface NodeDef {
  name: string;
  fn: NodeFn;
  options: NodeOptions;
}

export interface ConditionalEdge {
  source: string;
  router: Router;
  /** Router result → node. Absent: the router returns node names and may reach any node. */
  pathMap: Record<string, string> | null;
}

/** The validated, immutable graph a CompiledGraph runs. */
export interface GraphDef {
  schema: StateSchema;
  nodes: Map<string, NodeDef>;
  /** source → static targets, in the order added. */
  edges: Map<string, string[]>;
  /** source → conditional edges, in the order added. */
  branches: Map<string, ConditionalEdge[]>;
}

/** The graph's shape for drawing. */
export function describeGraph(def: GraphDef, config: CompileConfig): GraphStructure {
  const edges: GraphStructure["edges"] = [];
  for (const [source, targets] of def.edges) for (const target of targets) edges.push({ source, target, conditional: false });
  for (const n of def.nodes.values())
    for (const target of n.options.ends ?? []) edges.push({ source: n.name, target, conditional: true, label: "goto" });
  for (const [source, list] of def.branches)
    for (const b of list) {
      if (b.pathMap) for (const [label, target] of Object.entries(b.pathMap)) edges.push({ source, target, conditional: true, label });
      else for (const target of [...def.nodes.keys(), END]) edges.push({ source, target, conditional: true });
    }
  return {
    graphId: config.graphId ?? null,
    nodes: [...def.nodes.values()].map((n) => ({
      id: n.name,
      description: n.options.description,
      ...defined({ resume: jsonSchemaOf(n.options.resume) }),
    })),
    edges,
    channels: Object.entries(def.schema).map(([name, spec]) => ({
      name,
      reducer: !spec.reducer ? "last-value" : spec.reducer === appendReducer ? "append" : "custom",
      description: spec.description,
      ...defined({ schema: jsonSchemaOf(spec.schema), internal: spec.internal || undefined }),
    })),
    interruptBefore: [...(config.interruptBefore ?? [])],
    interruptAfter: [...(config.interruptAfter ?? [])],
  };
}

/** Drops undefined fields, so the description (checked by a strict response schema) carries only what is declared. */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
