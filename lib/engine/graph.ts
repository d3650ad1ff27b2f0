import { WaypointError } from "../errors";
import { CompiledGraph } from "./compiled";
import { END, START } from "./constants";
import type { ConditionalEdge, GraphDef, NodeDef } from "./definition";
import type { CompileConfig, NodeFn, NodeOptions, Router, StateSchema } from "./types";

const invalid = (message: string, details: Record<string, unknown> = {}) => new WaypointError("INVALID_GRAPH", message, details);

/**
 * Builds a graph: channels with reducers, nodes, static and conditional edges. Structural errors that can be
 * seen at once (duplicate or reserved names) throw from the builder call; the rest (unknown nodes in edges,
 * no entry point, unreachable nodes) throw from `compile()` with INVALID_GRAPH.
 */
export class StateGraph {
  private readonly schema: StateSchema;
  private readonly nodes = new Map<string, NodeDef>();
  private readonly edges = new Map<string, string[]>();
  private readonly branches = new Map<string, ConditionalEdge[]>();

  constructor(schema: StateSchema) {
    if (typeof schema !== "object" || schema === null || Object.keys(schema).length === 0)
      throw invalid("A StateGraph needs a schema naming at least one channel.");
    for (const [name, spec] of Object.entries(schema)) {
      if (name === "__proto__" || name.startsWith("__")) throw invalid(`Channel name "${name}" is reserved.`);
      if (typeof spec !== "object" || spec === null) throw invalid(`Channel "${name}" must be described by an object.`);
    }
    this.schema = schema;
  }

  addNode(name: string, fn: NodeFn, options: NodeOptions = {}): this {
    if (typeof name !== "string" || name.length === 0 || name.length > 100 || /[,\s]/.test(name))
      throw invalid(`Invalid node name ${JSON.stringify(name)}: use 1-100 characters without commas or spaces.`);
    if (name.startsWith("__")) throw invalid(`Node name "${name}" is reserved (names starting with "__" are the engine's).`);
    if (this.nodes.has(name)) throw invalid(`Duplicate node name "${name}".`, { node: name });
    if (typeof fn !== "function") throw invalid(`Node "${name}" needs a function.`, { node: name });
    this.nodes.set(name, { name, fn, options });
    return this;
  }

  addEdge(source: string, target: string): this {
    if (source === END) throw invalid("END cannot be the source of an edge.");
    if (target === START) throw invalid("START cannot be the target of an edge.");
    const list = this.edges.get(source) ?? [];
    if (!list.includes(target)) list.push(target);
    this.edges.set(source, list);
    return this;
  }

  /** Adds a chain of edges: addSequence(["a", "b", "c"]) = a→b, b→c. */
  addSequence(names: string[]): this {
    for (let i = 1; i < names.length; i++) this.addEdge(names[i - 1], names[i]);
    return this;
  }

  addConditionalEdges(source: string, router: Router, pathMap?: Record<string, string> | string[]): this {
    if (source === END) throw invalid("END cannot be the source of an edge.");
    if (typeof router !== "function") throw invalid(`The conditional edge from "${source}" needs a router function.`);
    const map = Array.isArray(pathMap) ? Object.fromEntries(pathMap.map((n) => [n, n])) : (pathMap ?? null);
    const list = this.branches.get(source) ?? [];
    list.push({ source, router, pathMap: map });
    this.branches.set(source, list);
    return this;
  }

  compile(config: CompileConfig): CompiledGraph {
    return new CompiledGraph(this.validate(config), config);
  }

  /** Checks the structure and returns the frozen definition. */
  private validate(config: CompileConfig): GraphDef {
    if (!config || typeof config !== "object" || !config.store) throw invalid("compile() needs a config with a checkpoint store.");
    const known = (n: string) => this.nodes.has(n);
    const where = (s: string) => (s === START ? "START" : `"${s}"`);
    for (const [source, targets] of this.edges) {
      if (source !== START && !known(source)) throw invalid(`Edge from unknown node "${source}".`, { node: source });
      for (const t of targets) if (t !== END && !known(t)) throw invalid(`Edge from ${where(source)} to unknown node "${t}".`, { node: t });
    }
    for (const [source, list] of this.branches) {
      if (source !== START && !known(source)) throw invalid(`Conditional edge from unknown node "${source}".`, { node: source });
      for (const b of list)
        for (const t of Object.values(b.pathMap ?? {}))
          if (t !== END && !known(t)) throw invalid(`Conditional edge from ${where(source)} maps to unknown node "${t}".`, { node: t });
    }
    if (!this.edges.has(START) && !this.branches.has(START)) throw invalid("The graph has no entry point: add an edge from START.");
    for (const n of this.nodes.values())
      for (const t of n.options.ends ?? [])
        if (t !== END && !known(t)) throw invalid(`Node "${n.name}" declares goto target unknown node "${t}".`, { node: t });
    for (const key of ["interruptBefore", "interruptAfter"] as const)
      for (const n of config[key] ?? []) if (!known(n)) throw invalid(`${key} names unknown node "${n}".`, { node: n });
    if (config.maxCheckpoints !== undefined && (!Number.isInteger(config.maxCheckpoints) || config.maxCheckpoints < 1))
      throw invalid("maxCheckpoints must be a positive integer.");

    // Reachability from START: static edges, path-map targets, and (for routers without a path map) every node.
    const seen = new Set<string>();
    const queue = [START];
    while (queue.length) {
      const n = queue.pop()!;
      const targets = [...(this.edges.get(n) ?? []), ...(this.nodes.get(n)?.options.ends ?? [])];
      for (const b of this.branches.get(n) ?? []) targets.push(...(b.pathMap ? Object.values(b.pathMap) : this.nodes.keys()));
      for (const t of targets)
        if (t !== END && !seen.has(t)) {
          seen.add(t);
          queue.push(t);
        }
    }
    const unreachable = [...this.nodes.keys()].filter((n) => !seen.has(n));
    if (unreachable.length) throw invalid(`Unreachable node(s) from START: ${unreachable.join(", ")}.`, { nodes: unreachable });

    return {
      schema: this.schema,
      nodes: new Map(this.nodes),
      edges: new Map([...this.edges].map(([k, v]) => [k, [...v]])),
      branches: new Map([...this.branches].map(([k, v]) => [k, [...v]])),
    };
  }
}
