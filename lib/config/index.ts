/**
 * `waypoint/config`: what a `waypoint.config.ts` and a graph module need besides the engine (`waypoint/engine`).
 * A plain library like lib/engine: no Next.js, no server.
 */
export { defineConfig, GRAPH_ID } from "./schema";
export type { GraphEntry, WaypointConfig, WaypointConfigInput } from "./schema";
export { defineGraph } from "./graph";
export type { GraphDefinition, GraphSpec, QuorumRule } from "./graph";
