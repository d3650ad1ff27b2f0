import "server-only";
import { z } from "zod";
import type { GraphDefinition } from "../../config/graph";
import type { Caller } from "../auth/caller";
import type { Runtime } from "../runtime";
import { lgError } from "./http";
import { assistantIdOf, contains, lgAssistant, lgGraph } from "./mapping";

/**
 * Assistants are Waypoint's graphs, one each (no per-assistant config or versions): `assistant_id` accepts the
 * graph id or the UUID the reference server derives from it. Only graphs the caller may read are listed.
 */
export function resolveAssistant(rt: Runtime, who: Caller, id: string): GraphDefinition {
  const def = rt.graphs.list().find((g) => g.id === id || assistantIdOf(g.id) === id);
  if (!def || !who.can("read", def.id))
    throw lgError(
      404,
      `Assistant "${id}" was not found; assistants are the graphs ${rt.graphs
        .list()
        .map((g) => g.id)
        .join(", ")}.`,
    );
  return def;
}

export const AssistantSearch = z.object({
  graph_id: z.string().nullish(),
  name: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  limit: z.number().int().min(1).max(1000).nullish(),
  offset: z.number().int().min(0).nullish(),
  sort_by: z.enum(["assistant_id", "graph_id", "name", "created_at", "updated_at"]).nullish(),
  sort_order: z.enum(["asc", "desc"]).nullish(),
});

export function searchAssistants(rt: Runtime, who: Caller, q: z.infer<typeof AssistantSearch>) {
  let list = rt.graphs
    .list()
    .filter((d) => who.can("read", d.id))
    .map(lgAssistant)
    .filter(
      (a) => (!q.graph_id || a.graph_id === q.graph_id) && (!q.name || a.name.includes(q.name)) && (!q.metadata || contains(a.metadata, q.metadata)),
    );
  if (q.sort_by) {
    const key = q.sort_by;
    list = list.sort((a, b) => String(a[key]).localeCompare(String(b[key])) * (q.sort_order === "desc" ? -1 : 1));
  }
  const offset = q.offset ?? 0;
  return { total: list.length, page: list.slice(offset, offset + (q.limit ?? 10)) };
}

export const assistantGraph = (rt: Runtime, def: GraphDefinition) => lgGraph(rt.graphs.compile(def.id).describe());

/**
 * JSON Schemas: the input from the graph's zod input schema; the state from its channels (their validators are
 * functions, not schemas, so each channel is described by name and description only).
 */
export function assistantSchemas(rt: Runtime, def: GraphDefinition) {
  const channels = rt.graphs.compile(def.id).describe().channels;
  let input: Record<string, unknown> | null = null;
  try {
    input = z.toJSONSchema(def.input, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  } catch {
    input = null;
  }
  const state = {
    title: def.id,
    type: "object",
    properties: Object.fromEntries(channels.map((c) => [c.name, { ...(c.description ? { description: c.description } : {}) }])),
  };
  return { graph_id: def.id, input_schema: input, output_schema: state, state_schema: state, config_schema: null, context_schema: null };
}
