import "server-only";
import type { CheckpointStore } from "../checkpoint/types";
import type { GraphDefinition } from "../config/graph";
import { WaypointError } from "../errors";
import { settings } from "./config";
import { EngineGraph } from "./runnable/engine";
import { LangGraphGraph } from "./runnable/langgraph";
import type { LangGraphApp } from "./runnable/lg-app";
import type { RunnableGraph } from "./runnable/types";

/**
 * The graphs waypoint.config.ts registers (loaded and checked by lib/config/load.ts at start), compiled against
 * the configured store, one compiled copy for runs, reads and edits. The run manager, the API and the dashboard
 * see graphs only through this registry and GET /api/graphs: none of them names a particular graph.
 */
export class GraphRegistry {
  private readonly compiled = new Map<string, RunnableGraph>();
  private readonly byId: Map<string, GraphDefinition>;

  constructor(
    private readonly store: CheckpointStore,
    private readonly graphs: readonly GraphDefinition[],
  ) {
    // Ids come from requests: Map lookup, never an object key. The loader has refused duplicates.
    this.byId = new Map(graphs.map((g) => [g.id, g]));
  }

  /** The run-lock lease every compiled graph (and a thread delete) uses: short enough that a takeover after a crash elsewhere is quick, renewed every third. */
  readonly lockTtlMs = settings().lockTtlMs;

  has(graphId: string): boolean {
    return this.byId.has(graphId);
  }

  definition(graphId: string): GraphDefinition {
    const def = this.byId.get(graphId);
    if (!def) throw new WaypointError("GRAPH_NOT_FOUND", `Graph "${graphId}" was not found; see GET /api/graphs.`, { graphId });
    return def;
  }

  /** In the config's order. */
  list(): GraphDefinition[] {
    return [...this.graphs];
  }

  /**
   * The graph ready to run against the shared store, as "a graph the server can run" (runnable/types.ts):
   * Waypoint's engine or LangGraph.js behind one interface, so callers never branch on the kind. Made once;
   * neither holds per-run state.
   */
  compile(graphId: string): RunnableGraph {
    const cached = this.compiled.get(graphId);
    if (cached) return cached;
    const def = this.definition(graphId);
    const app = def.kind === "langgraph" ? this.langGraph(def) : this.engineGraph(def);
    this.compiled.set(graphId, app);
    return app;
  }

  private langGraph(def: GraphDefinition): RunnableGraph {
    return new LangGraphGraph(def.langgraph as LangGraphApp, this.store, {
      graphId: def.id,
      lockTtlMs: this.lockTtlMs,
      recursionLimit: def.recursionLimit,
    });
  }

  private engineGraph(def: GraphDefinition): RunnableGraph {
    const app = def.build().compile({
      store: this.store,
      graphId: def.id,
      interruptBefore: def.interruptBefore,
      interruptAfter: def.interruptAfter,
      recursionLimit: def.recursionLimit,
      lockTtlMs: this.lockTtlMs,
    });
    return new EngineGraph(app);
  }
}
