/**
 * Public entry for LangGraph.js users: `WaypointSaver`, a checkpointer that keeps a LangGraph.js graph's threads
 * in a Waypoint store. Plain Node (no Next.js, React or server code), like lib/engine and lib/checkpoint.
 */
export { WaypointSaver, type WaypointSaverOptions } from "./saver";
export type { LangGraphRecord, LangGraphWrite } from "./records";
export { langGraphRecord } from "./records";
