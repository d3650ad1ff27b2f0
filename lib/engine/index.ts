/**
 * Waypoint's graph engine: a plain Node library (no Next.js, no React).
 * See types.ts for the public shapes and runner.ts for the run loop's invariants.
 */
export { StateGraph } from "./graph";
export { START, END } from "./constants";
export { CompiledGraph, statusOf } from "./compiled";
// The seed's names (LangGraphGo): a compiled graph is its CheckpointableRunnable, the compile config its CheckpointConfig.
export { CompiledGraph as CheckpointableRunnable } from "./compiled";
export type { CompileConfig as CheckpointConfig } from "./types";
export { appendReducer, mergeReducer, sumReducer } from "./reducers";
export { interrupt, isGraphInterrupt } from "./interrupt";
export { Command } from "./types";
export type * from "./types";
export * from "../errors";
