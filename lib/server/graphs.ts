import "server-only";
import type { CheckpointStore } from "../checkpoint/types";
import type { CompiledGraph } from "../engine";
import { getGraph, listGraphs, type GraphDefinition } from "../graphs";
import { WaypointError } from "../errors";
import { settings } from "./config";

/** The demo graphs compiled against the configured store (one compiled copy for reads and edits). */
export class GraphRegistry {
  private readonly compiled = new Map<string, CompiledGraph>();

  constructor(private readonly store: CheckpointStore) {}

  /** The run-lock lease every compiled graph (and a thread delete) uses: short enough that a takeover after a crash elsewhere is quick, renewed every third. */
  readonly lockTtlMs = settings().lockTtlMs;

  has(graphId: string): boolean {
    return getGraph(graphId) !== undefined;
  }

  definition(graphId: string): GraphDefinition {
    const def = getGraph(graphId);
    if (!def) throw new WaypointError("GRAPH_NOT_FOUND", `Graph "${graphId}" was not found; see GET /api/graphs.`, { graphId });
    return def;
  }

  list(): GraphDefinition[] {
    return listGraphs();
  }

  /** The graph compiled against the shared store (compiled once; a compiled graph holds no per-run state). */
  compile(graphId: string): CompiledGraph {
    const cached = this.compiled.get(graphId);
    if (cached) return cached;
    const def = this.definition(graphId);
    const app = def.build().compile({
      store: this.store,
      graphId: def.id,
      interruptBefore: def.interruptBefore,
      interruptAfter: def.interruptAfter,
      recursionLimit: def.recursionLimit,
      lockTtlMs: this.lockTtlMs,
    });
    this.compiled.set(graphId, app);
    return app;
  }
}
