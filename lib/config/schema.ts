import { z } from "zod";
import { DURATION } from "../checkpoint/retention";

/**
 * The shape of `waypoint.config.ts`, the one list of graphs the server runs. This zod schema is the only
 * definition: `defineConfig` takes its input type, and the loader (load.ts) parses with it, so a user's
 * config is checked by tsc while they type it and again, with a sentence naming the entry, at start.
 */

/** Graph ids appear in URLs, in comma-separated role limits (lib/auth/roles.ts) and as store fields: a small safe alphabet. */
export const GRAPH_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * A graph's retention policy: delete threads that finished `deleteAfter` ago ("30d", "12h"; statuses `done` by
 * default), keep interrupted threads (a pending decision) unless told otherwise, and trim every other thread to
 * its newest `keepLatest` checkpoints (branch tips, and so pending interrupts, are always kept).
 */
export const Retention = z
  .object({
    deleteAfter: z.string().regex(DURATION, { error: 'retention.deleteAfter must be a duration such as "30d", "12h" or "90m"' }).optional(),
    statuses: z
      .array(
        z.enum(["done", "error", "cancelled", "idle", "interrupted"], {
          error: "retention.statuses lists done, error, cancelled, idle or interrupted",
        }),
      )
      .min(1)
      .default(["done"]),
    keepInterrupted: z.boolean({ error: "retention.keepInterrupted must be true or false" }).default(true),
    keepLatest: z.number().int().min(1, { error: "retention.keepLatest must be a whole number of at least 1" }).optional(),
  })
  .strict()
  .refine((r) => r.deleteAfter !== undefined || r.keepLatest !== undefined, { error: "retention needs deleteAfter, keepLatest or both" });

/**
 * One graph. `kind` says how its module's export is run: "waypoint" (a `defineGraph({ build, ... })` spec for
 * Waypoint's engine) or "langgraph" (a LangGraph.js compiled graph or `StateGraph`, run through `WaypointSaver`).
 * Without `kind`, the loader tells them apart by the export's shape (load.ts).
 */
export const GraphEntry = z
  .object({
    id: z
      .string({ error: "id is required" })
      .regex(GRAPH_ID, { error: 'id must be 1-64 letters, digits, "-" or "_", starting with a letter or digit' }),
    kind: z.enum(["waypoint", "langgraph"], { error: 'kind must be "waypoint" or "langgraph"' }).optional(),
    title: z.string({ error: "title is required" }).trim().min(1, { error: "title is required" }).max(200, { error: "title is over 200 characters" }),
    description: z.string({ error: "description must be a string" }).max(2000, { error: "description is over 2000 characters" }).default(""),
    /** Pre-filled in the dashboard's New-run form. */
    exampleInput: z.record(z.string(), z.unknown(), { error: "exampleInput must be an object" }).default({}),
    /** The module's path, relative to the config file (`./graphs/hello.ts`). */
    module: z.string({ error: "module is required" }).min(1, { error: "module is required" }),
    /** Which export of the module is the graph. */
    export: z.string({ error: "export must be a string" }).min(1, { error: "export must not be empty" }).default("default"),
    /** What the server's periodic retention job removes from this graph's threads (lib/server/retention.ts). */
    retention: Retention.optional(),
  })
  .strict();

export const WaypointConfig = z
  .object({
    graphs: z.array(GraphEntry, { error: "graphs must be a list" }).min(1, { error: "graphs must list at least one graph" }),
  })
  .strict();

export type GraphEntry = z.output<typeof GraphEntry>;
export type WaypointConfig = z.output<typeof WaypointConfig>;
export type WaypointConfigInput = z.input<typeof WaypointConfig>;

/** Type-checks a config (`export default defineConfig({ graphs: [...] })`); returns it unchanged. */
export function defineConfig(config: WaypointConfigInput): WaypointConfigInput {
  return config;
}
