/**
 * The graph registry. Adding a graph is one file in this folder plus one line in GRAPHS.
 */
import { approval, approvalTwoPerson } from "./approval";
import { chat } from "./chat";
import { pipeline } from "./pipeline";
import { research } from "./research";
import type { GraphDefinition } from "./types";

const GRAPHS: GraphDefinition[] = [approval, approvalTwoPerson, research, pipeline, chat];

const byId = new Map(GRAPHS.map((g) => [g.id, g]));

export function listGraphs(): GraphDefinition[] {
  return [...GRAPHS];
}

/** The graph with this id, or undefined (ids come from requests: Map lookup, never an object key). */
export function getGraph(graphId: string): GraphDefinition | undefined {
  return byId.get(graphId);
}

export type { GraphDefinition } from "./types";
