/**
 * Waypoint's graph engine: a plain Node library (no Next.js, no React).
 * See types.ts for the public shapes and runner.ts for the run loop's invariants.
 */
export { StateGraph, START, END } from "./graph";
export { CompiledGraph, statusOf } from "./compiled";
export { appendReducer, mergeReducer, sumReducer } from "./reducers";
export { interrupt, isGraphInterrupt } from "./interrupt";
export { Command } from "./types";
export type * from "./types";
export * from "../errors";
