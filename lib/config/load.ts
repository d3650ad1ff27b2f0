/**
 * Loads `waypoint.config.ts` (or the file WAYPOINT_CONFIG names) and the graph modules it lists, at server
 * start, and checks them. Any mistake stops the start with one sentence naming the config file and the entry.
 *
 * Why at run time and not bundled into the Next.js build: a config imported by the app would be compiled into
 * `.next`, so every change to it or to a graph would need a rebuild, and a test or an operator could not point
 * the same build at another config. Loading it here with jiti (a TypeScript loader, no build step) costs, for the
 * five demo graphs, about 3 s on the first start after a change and 0.25 s once jiti's file cache is warm
 * (measured in `next start` on a shared 2-core machine; the server logs the figure at each start).
 *
 * The cost of run-time loading is a second copy of modules the bundle already holds. Two guards keep one copy
 * where it matters: jiti serves `waypoint/engine`, `waypoint/config` and `zod` to graph modules as the very
 * modules this file imported (`virtualModules`; `@langchain/langgraph` and `@langchain/core/messages` too), so a graph imported through the public entries runs on the
 * server's engine; and where a copy still arises (a module importing `../lib/engine` by path), nothing depends
 * on module identity — errors are recognised by code, commands by a brand (lib/errors.ts, lib/engine/tasks.ts),
 * specs by shape (isGraphSpec), and the thread lock lives in the store, not in a module-level map.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createJiti } from "jiti";
import * as zod from "zod";
import * as langgraph from "@langchain/langgraph";
import * as lcMessages from "@langchain/core/messages";
import { createMemoryStore } from "../checkpoint/memory";
import * as engine from "../engine";
import { WaypointError } from "../errors";
import * as publicConfig from "./index";
import { isGraphSpec, type GraphDefinition } from "./graph";
import { isLangGraphApp, isLangGraphBuilder } from "../langgraph/app-shape";
import { WaypointConfig, type GraphEntry } from "./schema";

export const DEFAULT_CONFIG = "waypoint.config.ts";

type Env = Record<string, string | undefined>;

export interface LoadedConfig {
  /** The config file's absolute path. */
  file: string;
  graphs: GraphDefinition[];
}

/** A run's input when the graph module gives no schema: any JSON object (the channels' own validators still apply). */
const AnyObject = zod.z.record(zod.z.string(), zod.z.unknown());

/** The config file this environment selects: WAYPOINT_CONFIG (relative to `cwd`), else ./waypoint.config.ts. */
export function configPath(env: Env = process.env, cwd: string = process.cwd()): string {
  return path.resolve(cwd, env.WAYPOINT_CONFIG?.trim() || DEFAULT_CONFIG);
}

/** STORE_CONFIG is the code of every "this configuration cannot start" error (the server prints its message alone). */
const refuse = (sentence: string) => new WaypointError("STORE_CONFIG", sentence);

/** An error's first line without its final period, to embed in a sentence. */
function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split("\n")[0] ?? "").trim().replace(/\.$/, "");
}

export async function loadGraphConfig(opts: { env?: Env; cwd?: string } = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const file = configPath(env, cwd);
  const rel = path.relative(cwd, file);
  const shown = rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
  const named = env.WAYPOINT_CONFIG?.trim() ? " (named by WAYPOINT_CONFIG)" : "";

  // turbopackIgnore: the config is read from the project folder at run time; without it Next traces the whole project into the build.
  if (!fs.existsSync(/* turbopackIgnore: true */ file))
    throw refuse(`Graph config ${shown}${named} was not found; it lists the graphs the server runs (see "Add your own graph" in README.md).`);

  const jiti = createJiti(pathToFileURL(file).href, {
    // Same module objects as the server's (see the header): one engine, one zod registry.
    // LangGraph.js graph modules get the server's @langchain/langgraph and messages too: found from any folder
    // (a config outside the app's node_modules), and one copy of LangGraph's classes with the server's runner.
    virtualModules: {
      "waypoint/engine": engine,
      "waypoint/config": publicConfig,
      zod,
      "@langchain/langgraph": langgraph,
      "@langchain/core/messages": lcMessages,
    },
    // Transpiled files are cached by content hash (node_modules/.cache/jiti): later starts skip the transform.
    fsCache: true,
  });

  let exported: unknown;
  try {
    exported = await jiti.import(file, { default: true });
  } catch (err) {
    throw refuse(`Graph config ${shown} could not be loaded: ${reason(err)}.`);
  }
  if (typeof exported !== "object" || exported === null)
    throw refuse(`Graph config ${shown} must \`export default defineConfig({ graphs: [...] })\` (from "waypoint/config").`);

  const parsed = WaypointConfig.safeParse(exported);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const [top, index] = issue.path;
    if (top === "graphs" && typeof index === "number") {
      const raw = (exported as { graphs: unknown[] }).graphs[index] as { id?: unknown } | undefined;
      const label = `graphs[${index}]${typeof raw?.id === "string" ? ` ("${raw.id}")` : ""}`;
      throw refuse(`Graph config ${shown}, ${label}: ${issue.message}.`);
    }
    throw refuse(`Graph config ${shown}: ${issue.message}.`);
  }

  const firstIndex = new Map<string, number>();
  parsed.data.graphs.forEach((g, i) => {
    const before = firstIndex.get(g.id);
    if (before !== undefined)
      throw refuse(
        `Graph config ${shown}, graphs[${i}] ("${g.id}"): the id "${g.id}" is already used by graphs[${before}]; each graph needs its own id.`,
      );
    firstIndex.set(g.id, i);
  });

  const graphs: GraphDefinition[] = [];
  for (const [i, entry] of parsed.data.graphs.entries()) {
    const where = `Graph config ${shown}, graphs[${i}] ("${entry.id}")`;
    graphs.push(await loadEntry(jiti, path.dirname(file), entry, where));
  }
  return { file, graphs };
}

type Jiti = ReturnType<typeof createJiti>;

async function loadEntry(jiti: Jiti, dir: string, entry: GraphEntry, where: string): Promise<GraphDefinition> {
  const spec = entry.module;
  const resolved = jiti.esmResolve(spec, { parentURL: pathToFileURL(path.join(dir, "_")).href, try: true });
  if (!resolved) throw refuse(`${where}: module "${spec}" was not found (looked from ${dir}).`);

  let mod: Record<string, unknown>;
  try {
    mod = (await jiti.import(resolved)) as Record<string, unknown>;
  } catch (err) {
    throw refuse(`${where}: module "${spec}" failed to load: ${reason(err)}.`);
  }
  if (!(entry.export in mod)) {
    const names = Object.keys(mod).filter((k) => k !== "__esModule");
    throw refuse(`${where}: module "${spec}" has no export "${entry.export}" (it exports: ${names.join(", ") || "nothing"}).`);
  }
  const exported = mod[entry.export];
  // Without `kind`: a LangGraph.js graph (compiled, or a StateGraph builder) is recognised by its shape.
  const kind = entry.kind ?? (!isGraphSpec(exported) && (isLangGraphApp(exported) || isLangGraphBuilder(exported)) ? "langgraph" : "waypoint");
  return KINDS[kind](exported, entry, { where, spec });
}

/**
 * One adapter per entry kind: checks the module's export and turns it into what the server runs. A new kind
 * (a LangGraph.js compiled graph) adds its enum value in schema.ts and its adapter here.
 */
const KINDS: Record<
  NonNullable<GraphEntry["kind"]>,
  (exported: unknown, entry: GraphEntry, at: { where: string; spec: string }) => Promise<GraphDefinition>
> = {
  async waypoint(exported, entry, { where, spec }) {
    if (!isGraphSpec(exported))
      throw refuse(
        `${where}: export "${entry.export}" of "${spec}" is not a graph; export \`defineGraph({ build: () => new StateGraph(...) })\` (from "waypoint/config").`,
      );
    const def: GraphDefinition = {
      ...exported,
      id: entry.id,
      title: entry.title,
      description: entry.description,
      exampleInput: entry.exampleInput,
      retention: entry.retention ?? null,
      input: exported.input ?? AnyObject,
      failureHint: exported.failureHint ?? "",
      kind: "waypoint",
    };
    // Compile once against a throw-away memory store: unknown nodes in edges, a missing START edge or an
    // interruptBefore naming no node refuse the start instead of failing the first run.
    try {
      def.build().compile({ store: await createMemoryStore(), interruptBefore: def.interruptBefore, interruptAfter: def.interruptAfter });
    } catch (err) {
      throw refuse(`${where}: its graph is invalid: ${reason(err)}.`);
    }
    return def;
  },
  /**
   * A LangGraph.js graph: a compiled graph (its own interruptBefore/After kept) or a `StateGraph` builder
   * (compiled here). The server runs a copy with its own checkpointer (lib/server/runnable/langgraph.ts);
   * drawing it once here refuses a graph LangGraph itself cannot describe before the first request.
   */
  async langgraph(exported, entry, { where, spec }) {
    let app = isLangGraphApp(exported) ? exported : null;
    if (!app && isLangGraphBuilder(exported)) {
      try {
        app = exported.compile();
      } catch (err) {
        throw refuse(`${where}: its LangGraph.js graph does not compile: ${reason(err)}.`);
      }
    }
    if (!app)
      throw refuse(
        `${where}: export "${entry.export}" of "${spec}" is not a LangGraph.js graph; export a \`StateGraph\` or its \`.compile()\` result.`,
      );
    try {
      app.getGraph();
    } catch (err) {
      throw refuse(`${where}: its LangGraph.js graph is invalid: ${reason(err)}.`);
    }
    return {
      id: entry.id,
      title: entry.title,
      description: entry.description,
      exampleInput: entry.exampleInput,
      retention: entry.retention ?? null,
      input: AnyObject,
      failureHint: "",
      kind: "langgraph",
      langgraph: app,
      build: () => {
        throw new WaypointError("INVALID_GRAPH", `Graph "${entry.id}" is a LangGraph.js graph; it has no Waypoint engine build.`);
      },
    };
  },
};
